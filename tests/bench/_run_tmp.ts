import { benchRidge } from './ridge'
benchRidge().then((r) => console.log(JSON.stringify(r, null, 1)))
