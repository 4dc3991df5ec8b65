/**
 * Writes the demo study as a BIDS data set in ds003720's layout and with its quirks:
 *
 *   dataset_description.json, README, CHANGES, participants.tsv, participants.json
 *   sub-001/anat/sub-001_T1w.nii.gz (+ .json)
 *   sub-001/func/sub-001_task-{Training,Test}_run-NN_{bold.nii.gz,bold.json,events.tsv}
 *
 * events.tsv as ds003720 writes them: CRLF line ends, no newline after the last row, genres in single
 * quotes ('pop'), and in Training run 4 the last three genres lack their opening quote (classical').
 * The sidecars are one-line JSON without a trailing newline, with RepetitionTime 1.5 and TaskName.
 * BOLD images are int16 .nii.gz written volume by volume (memory stays at a few volumes).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { B2mError } from '../common/errors'
import { createNiftiWriter, writeNifti } from '../formats/nifti'
import { DEMO_SUBJECT, runLabel, type DemoDesign, type DemoRun } from './design'
import {
  ROLE_BRAIN,
  ROLE_CSF,
  ROLE_OUTSIDE,
  simulateRun,
  type DemoAnatomy,
  type EncodingModel,
  type VoxelNoise
} from './subject'

export const DEMO_DATASET_NAME = 'Brain2Music Lab demo: simulated Music Genre fMRI Dataset'

export interface BidsWriteOptions {
  onProgress?: (fraction: number, message: string) => void
  isCancelled?: () => boolean
  /** gzip level of the BOLD images (default 6). */
  gzipLevel?: number
}

export interface BidsWriteResult {
  root: string
  runs: { task: DemoRun['task']; run: number; bold: string; events: string; sidecar: string }[]
}

const CRLF = '\r\n'

/** ds003720's events.tsv for a run: CRLF, quoted genres, the malformed quotes, no trailing newline. */
export function eventsTsv(run: DemoRun): string {
  const rows = ['onset\tduration\tgenre\ttrack\tstart\tend']
  run.events.forEach((e, i) => {
    const genre = run.malformedRows.includes(i) ? `${e.clip.genre}'` : `'${e.clip.genre}'`
    rows.push([e.onset, e.duration, genre, e.clip.track, e.clip.start, e.clip.end].map(String).join('\t'))
  })
  return rows.join(CRLF)
}

export function boldSidecar(run: DemoRun, design: DemoDesign, sliceThickness: number): string {
  return JSON.stringify({
    Modality: 'MR',
    MagneticFieldStrength: 3,
    Manufacturer: 'Brain2Music Lab',
    ManufacturersModelName: 'simulated subject (src-main/demo)',
    MRAcquisitionType: '2D',
    SeriesDescription: `simulated_ep2d_TR${design.tr}_${sliceThickness}mm_${design.volumes}`,
    ProtocolName: `simulated_ep2d_TR${design.tr}_${sliceThickness}mm_${design.volumes}`,
    ScanningSequence: 'EP',
    SequenceVariant: 'SK_SS',
    EchoTime: 0.03,
    RepetitionTime: design.tr,
    FlipAngle: 62,
    SliceThickness: sliceThickness,
    SpacingBetweenSlices: sliceThickness,
    PhaseEncodingDirection: 'j-',
    TaskName: run.task,
    SkullStripped: false
  })
}

function datasetDescription(design: DemoDesign): string {
  const json = {
    Name: DEMO_DATASET_NAME,
    License: 'CC0',
    Authors: ['Brain2Music Lab (simulated data)'],
    Acknowledgements: '',
    HowToAcknowledge: '',
    Funding: [],
    ReferencesAndLinks: [
      'Simulates the design of: Nakai, Koide-Majima, and Nishimoto (2021). Correspondence of categorical and feature-based representations of music in the human brain. Brain and Behavior. 11(1), e01936. https://doi.org/10.1002/brb3.1936 (OpenNeuro ds003720)',
      'Denk et al. (2023). Brain2Music: Reconstructing Music from Human Brain Activity. arXiv:2307.11078'
    ],
    DatasetType: 'raw',
    BIDSVersion: '1.4.0',
    GeneratedBy: [
      { Name: 'Brain2Music Lab demo generator', Description: `seed ${design.seed}${design.quick ? ', quick' : ''}` }
    ]
  }
  return JSON.stringify(json, null, 4)
}

function readme(design: DemoDesign): string {
  const nTrain = design.runs.filter((r) => r.task === 'Training').length
  const nTest = design.runs.length - nTrain
  return [
    'README',
    '',
    `${DEMO_DATASET_NAME} (seed ${design.seed}${design.quick ? ', quick mode' : ''})`,
    '',
    'A SIMULATED data set made by Brain2Music Lab (src-main/demo) in the layout of the Music Genre fMRI Dataset',
    '(OpenNeuro ds003720). No person was scanned. One subject ("sub-001") listened to synthetic music of 10 genres.',
    '',
    `The subject performed ${design.runs.length} runs: ${nTrain} training runs and ${nTest} test runs of ${design.volumes} volumes (TR ${design.tr} s).`,
    '',
    'Each *_events.tsv file contains:',
    ' onset: stimulus onset',
    ' duration: stimulus duration',
    ' genre: genre type (out of 10 genres)',
    ' track: index to identify the original track (../stimuli/genres/<genre>/<genre>.000TT.wav)',
    ' start: onset of excerpt from the original track (second)',
    ' end: offset of excerpt from the original track (second)',
    '',
    'The duration of all stimuli is 15 s. For each clip, 2 s of fade-in and fade-out effects were applied, and the overall',
    'signal intensity was normalized in terms of the root mean square.',
    '',
    'For the training runs, the 1st stimulus (0-15s) is the same as the last stimulus of the previous run (600-615s).',
    'For the test runs, the 1st stimulus (0-15s) is the same as the last stimulus of the same run (600-615s).',
    '',
    'As in ds003720, genres are written in single quotes, and three rows of one training run lack the opening quote.',
    'BOLD: 4 mm isotropic voxels in the space of the fsaverage5 surfaces (MNI305); the voxels of the superior and',
    'transverse temporal gyri respond to the music through a known encoding model (see ../ground-truth/truth.json).'
  ].join(CRLF)
}

/** Writes everything but the BOLD images' content streams; then each run, volume by volume. */
export async function writeBids(
  root: string,
  design: DemoDesign,
  anatomy: DemoAnatomy,
  model: EncodingModel,
  noise: VoxelNoise,
  opts: BidsWriteOptions = {}
): Promise<BidsWriteResult> {
  const sub = DEMO_SUBJECT
  const func = join(root, sub, 'func')
  const anat = join(root, sub, 'anat')
  mkdirSync(func, { recursive: true })
  mkdirSync(anat, { recursive: true })
  writeFileSync(join(root, 'dataset_description.json'), datasetDescription(design))
  writeFileSync(join(root, 'README'), readme(design))
  writeFileSync(join(root, 'CHANGES'), `1.0.0 2023-07-21${CRLF}  - Simulated by Brain2Music Lab (seed ${design.seed})`)
  writeFileSync(
    join(root, 'participants.tsv'),
    ['participant_id\tspecies\tsimulated', `${sub}\thomo sapiens\tyes`].join(CRLF)
  )
  writeFileSync(
    join(root, 'participants.json'),
    JSON.stringify(
      {
        species: { Description: 'species of the participant' },
        simulated: { Description: 'whether the data were simulated', Levels: { yes: 'simulated by src-main/demo' } }
      },
      null,
      4
    )
  )
  const grid = anatomy.grid
  const dims = [...grid.shape]
  // a T1w-like image on the EPI grid: white matter bright, cortex darker, CSF dark
  const t1 = new Int16Array(anatomy.roles.length)
  for (let v = 0; v < t1.length; v++) {
    const r = anatomy.roles[v]
    t1[v] = r === ROLE_OUTSIDE ? 8 : r === ROLE_BRAIN ? 900 : r === ROLE_CSF ? 250 : 600
  }
  await writeNifti(join(anat, `${sub}_T1w.nii.gz`), { dims, affine: grid.affine, data: t1, descrip: 'b2m demo T1w' })
  writeFileSync(
    join(anat, `${sub}_T1w.json`),
    JSON.stringify({
      Modality: 'MR',
      MagneticFieldStrength: 3,
      Manufacturer: 'Brain2Music Lab',
      MRAcquisitionType: '3D'
    })
  )

  const out: BidsWriteResult = { root, runs: [] }
  const total = design.runs.length * design.volumes
  let done = 0
  for (const [i, run] of design.runs.entries()) {
    const stem = `${sub}_${runLabel(run)}`
    const events = join(func, `${stem}_events.tsv`)
    const sidecar = join(func, `${stem}_bold.json`)
    const bold = join(func, `${stem}_bold.nii.gz`)
    writeFileSync(events, eventsTsv(run))
    writeFileSync(sidecar, boldSidecar(run, design, grid.voxelMm))
    const writer = await createNiftiWriter(bold, {
      dims: [...dims, design.volumes],
      datatype: 'int16',
      affine: grid.affine,
      tr: design.tr,
      descrip: `b2m demo ${runLabel(run)}`,
      gzipLevel: opts.gzipLevel ?? 6
    })
    try {
      await simulateRun(
        anatomy,
        model,
        noise,
        i,
        runLabel(run),
        design.seed,
        design.volumes,
        async (vol, t) => {
          await writer.write(vol)
          done++
          if (t % 41 === 0) opts.onProgress?.(done / total, `${stem}_bold.nii.gz: volume ${t + 1}/${design.volumes}`)
        },
        opts.isCancelled
      )
      await writer.close()
    } catch (err) {
      await writer.abort()
      if (err instanceof B2mError) throw err
      throw new B2mError('failed', `cannot write the demo run: ${(err as Error).message}`, bold)
    }
    out.runs.push({ task: run.task, run: run.run, bold, events, sidecar })
  }
  opts.onProgress?.(1, `${design.runs.length} runs written`)
  return out
}
