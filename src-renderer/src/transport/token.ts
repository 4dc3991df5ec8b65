const TOKEN_KEY = 'b2m.token'

function storage(): Storage | null {
  try {
    return window.sessionStorage
  } catch {
    return null
  }
}

/**
 * The browser face's per-start token arrives once in the page URL (`?token=T`). Keep it for this tab in
 * sessionStorage and take it out of the address bar (and history), so it is not shared by copy-paste or
 * a screenshot. The server also sets an HttpOnly cookie, so a missing token here still works.
 */
export function takeToken(): string | null {
  const url = new URL(window.location.href)
  const fromUrl = url.searchParams.get('token')
  if (fromUrl) {
    storage()?.setItem(TOKEN_KEY, fromUrl)
    url.searchParams.delete('token')
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash)
    return fromUrl
  }
  return storage()?.getItem(TOKEN_KEY) ?? null
}
