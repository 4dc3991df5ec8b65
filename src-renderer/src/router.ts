import ImportView from './views/ImportView.vue'
import SubjectsView from './views/SubjectsView.vue'
import TrainView from './views/TrainView.vue'
import EvaluationView from './views/EvaluationView.vue'
import CortexView from './views/CortexView.vue'
import RenderView from './views/RenderView.vue'
import MusicView from './views/MusicView.vue'
import DecodeView from './views/DecodeView.vue'
import JobsView from './views/JobsView.vue'
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'

export interface Workspace {
  name: string
  path: string
  title: string
  /** Not built yet: the sidebar marks it "planned"; the view says what will come. */
  planned: boolean
  group: 'Study' | 'Models' | 'Music' | 'System'
}

/** One view per workspace, in pipeline order. */
export const WORKSPACES: Workspace[] = [
  { name: 'import', path: '/import', title: 'Import', planned: false, group: 'Study' },
  { name: 'subjects', path: '/subjects', title: 'Subjects & runs', planned: false, group: 'Study' },
  { name: 'train', path: '/train', title: 'Train', planned: false, group: 'Models' },
  { name: 'evaluation', path: '/evaluation', title: 'Evaluation', planned: false, group: 'Models' },
  { name: 'cortex', path: '/cortex', title: 'Cortex', planned: false, group: 'Models' },
  { name: 'music', path: '/music', title: 'Music', planned: false, group: 'Music' },
  { name: 'decode', path: '/decode', title: 'Decode & playback', planned: false, group: 'Music' },
  { name: 'jobs', path: '/jobs', title: 'Jobs', planned: false, group: 'System' }
]

const VIEWS: Record<string, RouteRecordRaw['component']> = {
  import: ImportView,
  subjects: SubjectsView,
  train: TrainView,
  evaluation: EvaluationView,
  cortex: CortexView,
  music: MusicView,
  decode: DecodeView,
  jobs: JobsView
}

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/subjects' },
  // A figure without the app around it (b2m surface render screenshots it); not in the sidebar.
  { path: '/render', name: 'render', component: RenderView, meta: { title: 'Figure', bare: true } },
  ...WORKSPACES.map((w) => ({ path: w.path, name: w.name, component: VIEWS[w.name]!, meta: { title: w.title } })),
  { path: '/:rest(.*)*', redirect: '/subjects' }
]

// Hash history: the Electron face loads index.html from file://, where path routing cannot work.
export const router = createRouter({ history: createWebHashHistory(), routes })

router.afterEach((to) => {
  const title = typeof to.meta.title === 'string' ? to.meta.title : null
  document.title = title ? `${title} — Brain2Music Lab` : 'Brain2Music Lab'
})
