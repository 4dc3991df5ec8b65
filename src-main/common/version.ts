import pkg from '../../package.json'

export const APP_NAME = 'Brain2Music Lab'
export const APP_VERSION: string = pkg.version
