/** The stages of the Brain2Music pipeline, with the core rooms that own each. */
export type Stage = 'import' | 'features' | 'train' | 'evaluate' | 'surface' | 'decode'

export const STAGES: { id: Stage; label: string; room: string }[] = [
  { id: 'import', label: 'Import', room: 'formats · catalogue' },
  { id: 'features', label: 'Features', room: 'features' },
  { id: 'train', label: 'Train', room: 'fmri · ridge' },
  { id: 'evaluate', label: 'Evaluate', room: 'evaluate' },
  { id: 'surface', label: 'Cortex', room: 'surface' },
  { id: 'decode', label: 'Decode', room: 'decode' }
]
