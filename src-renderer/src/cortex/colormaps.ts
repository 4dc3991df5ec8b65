/**
 * Colormaps as 256-entry RGBA8 lookup tables, generated from published data:
 * - viridis, magma, inferno: the 256 sRGB entries matplotlib publishes (van der Walt & Smith, BIDS
 *   colormaps; the same lists d3-scale-chromatic carries), as hex;
 * - RdBu_r: ColorBrewer RdBu (11 classes, Brewer & Harrower), reversed, linear between stops as
 *   matplotlib does;
 * - coolwarm: Moreland's 33-stop "Diverging Color Maps for Scientific Visualization" table;
 * - hot: matplotlib's segment data (black -> red -> yellow -> white);
 * - gray: linear.
 * The viewer uploads the chosen LUT as a 256x1 texture; the fragment shader looks colours up in it.
 */

export type ColormapName = 'viridis' | 'inferno' | 'magma' | 'hot' | 'RdBu_r' | 'coolwarm' | 'gray'

export interface Colormap {
  name: ColormapName
  label: string
  /** Diverging maps threshold on |value| and centre on zero; sequential ones threshold on value. */
  diverging: boolean
  /** 256 x RGBA8. */
  lut: Uint8Array
}

const VIRIDIS =
  '44015444025645045745055946075a46085c460a5d460b5e470d60470e6147106347116447136548146748166848176948186a481a6c481b6d481c6e481d6f481f70482071482173482374482475482576482677482878482979472a7a472c7a472d7b472e7c472f7d46307e46327e46337f463480453581453781453882443983443a83443b84433d84433e85423f854240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a3d4e8a3c4f8a3c508b3b518b3b528b3a538b3a548c39558c39568c38588c38598c375a8c375b8d365c8d365d8d355e8d355f8d34608d34618d33628d33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c8e287d8e277e8e277f8e27808e26818e26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f881fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad8128ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b87838b9773aba763bbb753dbc743fbc7340bd7242be7144bf7046c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc8635ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d1537ad1517cd2507fd34e81d34d84d44b86d54989d5488bd6468ed64590d74393d74195d84098d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32addc30b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021c8e020cae11fcde11dd0e11cd2e21bd5e21ad8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61ef6e620f8e621fbe723fde725'
const MAGMA =
  '00000401000501010601010802010902020b02020d03030f03031204041405041606051806051a07061c08071e0907200a08220b09240c09260d0a290e0b2b100b2d110c2f120d31130d34140e36150e38160f3b180f3d19103f1a10421c10441d11471e114920114b21114e22115024125325125527125829115a2a115c2c115f2d11612f116331116533106734106936106b38106c390f6e3b0f703d0f713f0f72400f74420f75440f764510774710784910784a10794c117a4e117b4f127b51127c52137c54137d56147d57157e59157e5a167e5c167f5d177f5f187f601880621980641a80651a80671b80681c816a1c816b1d816d1d816e1e81701f81721f817320817521817621817822817922827b23827c23827e24828025828125818326818426818627818827818928818b29818c29818e2a81902a81912b81932b80942c80962c80982d80992d809b2e7f9c2e7f9e2f7fa02f7fa1307ea3307ea5317ea6317da8327daa337dab337cad347cae347bb0357bb2357bb3367ab5367ab73779b83779ba3878bc3978bd3977bf3a77c03a76c23b75c43c75c53c74c73d73c83e73ca3e72cc3f71cd4071cf4070d0416fd2426fd3436ed5446dd6456cd8456cd9466bdb476adc4869de4968df4a68e04c67e24d66e34e65e44f64e55064e75263e85362e95462ea5661eb5760ec5860ed5a5fee5b5eef5d5ef05f5ef1605df2625df2645cf3655cf4675cf4695cf56b5cf66c5cf66e5cf7705cf7725cf8745cf8765cf9785df9795df97b5dfa7d5efa7f5efa815ffb835ffb8560fb8761fc8961fc8a62fc8c63fc8e64fc9065fd9266fd9467fd9668fd9869fd9a6afd9b6bfe9d6cfe9f6dfea16efea36ffea571fea772fea973feaa74feac76feae77feb078feb27afeb47bfeb67cfeb77efeb97ffebb81febd82febf84fec185fec287fec488fec68afec88cfeca8dfecc8ffecd90fecf92fed194fed395fed597fed799fed89afdda9cfddc9efddea0fde0a1fde2a3fde3a5fde5a7fde7a9fde9aafdebacfcecaefceeb0fcf0b2fcf2b4fcf4b6fcf6b8fcf7b9fcf9bbfcfbbdfcfdbf'
const INFERNO =
  '00000401000501010601010802010a02020c02020e03021004031204031405041706041907051b08051d09061f0a07220b07240c08260d08290e092b10092d110a30120a32140b34150b37160b39180c3c190c3e1b0c411c0c431e0c451f0c48210c4a230c4c240c4f260c51280b53290b552b0b572d0b592f0a5b310a5c320a5e340a5f3609613809623909633b09643d09653e0966400a67420a68440a68450a69470b6a490b6a4a0c6b4c0c6b4d0d6c4f0d6c510e6c520e6d540f6d550f6d57106e59106e5a116e5c126e5d126e5f136e61136e62146e64156e65156e67166e69166e6a176e6c186e6d186e6f196e71196e721a6e741a6e751b6e771c6d781c6d7a1d6d7c1d6d7d1e6d7f1e6c801f6c82206c84206b85216b87216b88226a8a226a8c23698d23698f24699025689225689326679526679727669827669a28659b29649d29649f2a63a02a63a22b62a32c61a52c60a62d60a82e5fa92e5eab2f5ead305dae305cb0315bb1325ab3325ab43359b63458b73557b93556ba3655bc3754bd3853bf3952c03a51c13a50c33b4fc43c4ec63d4dc73e4cc83f4bca404acb4149cc4248ce4347cf4446d04545d24644d34743d44842d54a41d74b3fd84c3ed94d3dda4e3cdb503bdd513ade5238df5337e05536e15635e25734e35933e45a31e55c30e65d2fe75e2ee8602de9612bea632aeb6429eb6628ec6726ed6925ee6a24ef6c23ef6e21f06f20f1711ff1731df2741cf3761bf37819f47918f57b17f57d15f67e14f68013f78212f78410f8850ff8870ef8890cf98b0bf98c0af98e09fa9008fa9207fa9407fb9606fb9706fb9906fb9b06fb9d07fc9f07fca108fca309fca50afca60cfca80dfcaa0ffcac11fcae12fcb014fcb216fcb418fbb61afbb81dfbba1ffbbc21fbbe23fac026fac228fac42afac62df9c72ff9c932f9cb35f8cd37f8cf3af7d13df7d340f6d543f6d746f5d949f5db4cf4dd4ff4df53f4e156f3e35af3e55df2e661f2e865f2ea69f1ec6df1ed71f1ef75f1f179f2f27df2f482f3f586f3f68af4f88ef5f992f6fa96f8fb9af9fc9dfafda1fcffa4'

/** ColorBrewer RdBu, 11 classes, from red (low) to blue (high); RdBu_r runs blue -> red. */
const RDBU_11 = [
  '67001f',
  'b2182b',
  'd6604d',
  'f4a582',
  'fddbc7',
  'f7f7f7',
  'd1e5f0',
  '92c5de',
  '4393c3',
  '2166ac',
  '053061'
]

/** Moreland (2009) cool-warm, 33 stops at equal spacing, floats 0..1. */
const COOLWARM_33: [number, number, number][] = [
  [0.2298057, 0.298717966, 0.753683153],
  [0.26623388, 0.353094838, 0.801466763],
  [0.30386891, 0.406535296, 0.84495867],
  [0.342804478, 0.458757618, 0.883725899],
  [0.38301334, 0.50941904, 0.917387822],
  [0.424369608, 0.558148092, 0.945619588],
  [0.46666708, 0.604562568, 0.968154911],
  [0.509635204, 0.648280772, 0.98478814],
  [0.552953156, 0.688929332, 0.995375608],
  [0.596262162, 0.726149107, 0.999836203],
  [0.639176211, 0.759599947, 0.998151185],
  [0.681291281, 0.788964712, 0.990363227],
  [0.722193294, 0.813952739, 0.976574709],
  [0.761464949, 0.834302879, 0.956945269],
  [0.798691636, 0.849786142, 0.931688648],
  [0.833466556, 0.860207984, 0.901068838],
  [0.865395197, 0.86541021, 0.865395561],
  [0.897787179, 0.848937047, 0.820880546],
  [0.924127593, 0.827384882, 0.774508472],
  [0.944468518, 0.800927443, 0.726736146],
  [0.958852946, 0.769767752, 0.678007945],
  [0.96732803, 0.734132809, 0.628751763],
  [0.969954137, 0.694266682, 0.579375448],
  [0.966811177, 0.650421156, 0.530263762],
  [0.958003065, 0.602842431, 0.481775914],
  [0.943660866, 0.551750968, 0.434243684],
  [0.923944917, 0.49730856, 0.387970225],
  [0.89904617, 0.439559467, 0.343229596],
  [0.869186849, 0.378313092, 0.300267182],
  [0.834620542, 0.312874446, 0.259301199],
  [0.795631745, 0.24128379, 0.220525627],
  [0.752534934, 0.157246067, 0.184115123],
  [0.705673158, 0.01555616, 0.150232812]
]

/** matplotlib `_hot_data`: piecewise-linear channels as (x, value) breakpoints. */
const HOT: [number, number][][] = [
  [
    [0, 0.0416],
    [0.365079, 1],
    [1, 1]
  ],
  [
    [0, 0],
    [0.365079, 0],
    [0.746032, 1],
    [1, 1]
  ],
  [
    [0, 0],
    [0.746032, 0],
    [1, 1]
  ]
]

const N = 256

function fromHex256(hex: string): Uint8Array {
  if (hex.length !== N * 6) throw new Error(`colormap table has ${hex.length / 6} entries, expected ${N}`)
  const lut = new Uint8Array(N * 4)
  for (let i = 0; i < N; i++) {
    lut[4 * i] = parseInt(hex.slice(6 * i, 6 * i + 2), 16)
    lut[4 * i + 1] = parseInt(hex.slice(6 * i + 2, 6 * i + 4), 16)
    lut[4 * i + 2] = parseInt(hex.slice(6 * i + 4, 6 * i + 6), 16)
    lut[4 * i + 3] = 255
  }
  return lut
}

/** Equally spaced RGB stops (0..1 floats), linearly interpolated to 256 entries. */
function fromStops(stops: [number, number, number][]): Uint8Array {
  const lut = new Uint8Array(N * 4)
  const m = stops.length - 1
  for (let i = 0; i < N; i++) {
    const x = (i / (N - 1)) * m
    const k = Math.min(m - 1, Math.floor(x))
    const f = x - k
    const a = stops[k]!
    const b = stops[k + 1]!
    for (let c = 0; c < 3; c++) lut[4 * i + c] = Math.round((a[c]! + (b[c]! - a[c]!) * f) * 255)
    lut[4 * i + 3] = 255
  }
  return lut
}

function hexStops(hex: string[]): [number, number, number][] {
  return hex.map((h) => [
    parseInt(h.slice(0, 2), 16) / 255,
    parseInt(h.slice(2, 4), 16) / 255,
    parseInt(h.slice(4, 6), 16) / 255
  ])
}

function fromSegments(channels: [number, number][][]): Uint8Array {
  const lut = new Uint8Array(N * 4)
  for (let i = 0; i < N; i++) {
    const x = i / (N - 1)
    channels.forEach((seg, c) => {
      let v = seg[seg.length - 1]![1]
      for (let s = 0; s < seg.length - 1; s++) {
        const [x0, y0] = seg[s]!
        const [x1, y1] = seg[s + 1]!
        if (x >= x0 && x <= x1) {
          v = x1 > x0 ? y0 + ((x - x0) / (x1 - x0)) * (y1 - y0) : y1
          break
        }
      }
      lut[4 * i + c] = Math.round(Math.max(0, Math.min(1, v)) * 255)
    })
    lut[4 * i + 3] = 255
  }
  return lut
}

const BUILDERS: Record<ColormapName, { label: string; diverging: boolean; build: () => Uint8Array }> = {
  viridis: { label: 'viridis', diverging: false, build: () => fromHex256(VIRIDIS) },
  inferno: { label: 'inferno', diverging: false, build: () => fromHex256(INFERNO) },
  magma: { label: 'magma', diverging: false, build: () => fromHex256(MAGMA) },
  hot: { label: 'hot', diverging: false, build: () => fromSegments(HOT) },
  gray: {
    label: 'gray',
    diverging: false,
    build: () =>
      fromStops([
        [0, 0, 0],
        [1, 1, 1]
      ])
  },
  RdBu_r: { label: 'RdBu_r (diverging)', diverging: true, build: () => fromStops(hexStops([...RDBU_11].reverse())) },
  coolwarm: { label: 'coolwarm (diverging)', diverging: true, build: () => fromStops(COOLWARM_33) }
}

export const COLORMAP_NAMES = Object.keys(BUILDERS) as ColormapName[]

const cache = new Map<ColormapName, Colormap>()

export function colormap(name: ColormapName): Colormap {
  let c = cache.get(name)
  if (!c) {
    const b = BUILDERS[name]
    if (!b) throw new Error(`unknown colormap ${String(name)}`)
    c = { name, label: b.label, diverging: b.diverging, lut: b.build() }
    cache.set(name, c)
  }
  return c
}

export function isColormapName(x: string): x is ColormapName {
  return Object.prototype.hasOwnProperty.call(BUILDERS, x)
}
