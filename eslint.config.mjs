import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import vue from 'eslint-plugin-vue'
import prettier from 'eslint-config-prettier'
import globals from 'globals'

export default tseslint.config(
  { ignores: ['.tmp-*', 'out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'bench-results/**', '.native/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } }
  },
  {
    files: ['src-renderer/**/*'],
    languageOptions: { globals: { ...globals.browser } }
  },
  {
    files: ['src-main/**/*', 'tests/**/*', 'scripts/**/*', 'bin/**/*', '*.config.*'],
    languageOptions: { globals: { ...globals.node } }
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off'
    }
  },
  {
    // Only the Electron face may touch electron: under plain Node, require('electron') tries to download it.
    files: ['src-main/**/*'],
    ignores: ['src-main/app/**/*'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'only src-main/app may import electron' }] }
      ]
    }
  },
  {
    // The renderer sees the core only through the contract; it never imports main-process code.
    files: ['src-renderer/**/*'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'the renderer talks to the core through @contract only' }],
          patterns: [{ regex: '^node:|src-main', message: 'the renderer talks to the core through @contract only' }]
        }
      ]
    }
  },
  prettier
)
