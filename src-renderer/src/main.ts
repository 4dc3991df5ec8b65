import { createApp } from 'vue'
import { z } from 'zod'
import { createPinia } from 'pinia'
import App from './App.vue'
import { router } from './router'
import { applyTheme } from './theme'
import { createTransport, installTransport } from './transport'
import './styles/base.css'

// The CSP forbids eval: tell zod not to probe for it (the probe itself logs a CSP violation).
z.config({ jitless: true })

// The face is chosen once, before anything else runs (this also takes the token out of the URL).
installTransport(createTransport())
applyTheme()

createApp(App).use(createPinia()).use(router).mount('#app')
