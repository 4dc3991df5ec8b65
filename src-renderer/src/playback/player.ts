/**
 * A WebAudio A/B player: decoded clips in named slots ('A' and 'B'; the listening test adds 'O' for the
 * original), one playing at a time through one gain node, with play/pause/seek/loop and a switch that
 * keeps the playhead. Each clip's gain comes from its integrated loudness (loudness.ts), so switching
 * compares content, not level. Takes AudioBuffers; knows no stores.
 */
import { integratedLoudness, matchGains } from './loudness'

export type Side = string

export interface PlayerClip {
  buffer: AudioBuffer
  /** Integrated loudness (LUFS), measured once when the clip was decoded. */
  loudness: number
}

/** Decodes WAV (or any format the browser reads) bytes; the bytes are copied (decodeAudioData detaches). */
export async function decodeAudio(ctx: BaseAudioContext, bytes: Uint8Array): Promise<AudioBuffer> {
  const copy = bytes.slice().buffer
  return ctx.decodeAudioData(copy)
}

/** The channels of a buffer averaged to one (for the waveform and spectrogram). */
export function monoMix(buffer: AudioBuffer): Float32Array {
  if (buffer.numberOfChannels === 1) return buffer.getChannelData(0)
  const out = new Float32Array(buffer.length)
  for (let c = 0; c < buffer.numberOfChannels; c++) {
    const ch = buffer.getChannelData(c)
    for (let i = 0; i < out.length; i++) out[i]! += ch[i]! / buffer.numberOfChannels
  }
  return out
}

/** Loudness of a decoded buffer (stereo counts both channels, as BS.1770 weights them). */
export function bufferLoudness(buffer: AudioBuffer): number {
  const chans: Float32Array[] = []
  for (let c = 0; c < Math.min(2, buffer.numberOfChannels); c++) chans.push(buffer.getChannelData(c))
  return integratedLoudness(chans, buffer.sampleRate)
}

export class AbPlayer {
  private readonly makeContext: () => AudioContext
  private ctx: AudioContext | null = null
  /** Called whenever playing, side, loop or the clips change (not on every tick: poll `position`). */
  onChange: (() => void) | null = null

  private clips = new Map<Side, PlayerClip>()
  private _gains = new Map<Side, number>()
  private _active: Side = 'A'
  private _loop = false
  private _loopStart = 0
  private _loopEnd = 0
  private out: GainNode | null = null
  private node: AudioBufferSourceNode | null = null
  /** Context time and clip position when the current node started. */
  private anchorCtx = 0
  private anchorPos = 0
  /** Position while paused. */
  private pausedAt = 0

  /**
   * `context` is called at the first play, from the user's click: a context made earlier would start
   * suspended (autoplay policy). Decoding needs none (decodeAudio works on an OfflineAudioContext).
   */
  constructor(context: () => AudioContext, first: Side = 'A') {
    this.makeContext = context
    this._active = first
  }

  /** The context's clock (seconds), 0 before the first play. */
  get contextTime(): number {
    return this.ctx?.currentTime ?? 0
  }

  get active(): Side {
    return this._active
  }
  get playing(): boolean {
    return this.node !== null
  }
  get loop(): boolean {
    return this._loop
  }
  get loopRegion(): [number, number] {
    return this.region()
  }
  /** Linear gain of a slot (every loaded clip brought down to the quietest one's level); 1 when empty. */
  gain(side: Side): number {
    return this._gains.get(side) ?? 1
  }
  clip(side: Side): PlayerClip | null {
    return this.clips.get(side) ?? null
  }
  /** Duration of the side that plays now (seconds). */
  get duration(): number {
    return this.clips.get(this._active)?.buffer.duration ?? 0
  }

  /** Playhead in seconds within the active clip. */
  get position(): number {
    if (!this.node || !this.ctx) return this.pausedAt
    const raw = this.anchorPos + (this.ctx.currentTime - this.anchorCtx)
    const [a, b] = this.region()
    if (this._loop && raw >= b && b > a) return a + ((raw - a) % (b - a))
    return Math.min(raw, this.duration)
  }

  /** Puts a clip on one side (null empties it) and re-levels both sides. */
  setClip(side: Side, clip: PlayerClip | null): void {
    const wasPlaying = this.playing && side === this._active
    const pos = this.position
    if (wasPlaying) this.stopNode()
    if (clip) this.clips.set(side, clip)
    else this.clips.delete(side)
    const sides = [...this.clips.keys()]
    const gains = matchGains(sides.map((k) => this.clips.get(k)!.loudness))
    this._gains = new Map(sides.map((k, i) => [k, gains[i]!]))
    if (this.out) this.out.gain.value = this.gain(this._active)
    this.pausedAt = Math.min(pos, this.duration)
    if (wasPlaying && clip) this.startNode(this.pausedAt)
    this.changed()
  }

  async play(): Promise<void> {
    if (this.node || !this.clips.has(this._active)) return
    if (!this.ctx) {
      this.ctx = this.makeContext()
      this.out = this.ctx.createGain()
      this.out.connect(this.ctx.destination)
      this.out.gain.value = this.gain(this._active)
    }
    if (this.ctx.state !== 'running') await this.ctx.resume()
    // Another call may have started playback while the context resumed.
    if (this.node) return
    const from = this.pausedAt >= this.duration - 1e-3 ? 0 : this.pausedAt
    this.startNode(from)
    this.changed()
  }

  pause(): void {
    if (!this.node) return
    this.pausedAt = this.position
    this.stopNode()
    this.changed()
  }

  seek(seconds: number): void {
    const t = Math.max(0, Math.min(this.duration, seconds))
    if (this.node) {
      this.stopNode()
      this.startNode(t)
    } else this.pausedAt = t
    this.changed()
  }

  /** Loops [start, end) of the clip (default the whole clip) while on. */
  setLoop(on: boolean, start = 0, end = Infinity): void {
    const pos = this.position
    this._loop = on
    this._loopStart = Math.max(0, start)
    this._loopEnd = end
    if (this.node) {
      this.stopNode()
      this.startNode(pos)
    }
    this.changed()
  }

  /** Switches to the other clip at the same playhead (clamped to its length), at its matched gain. */
  select(side: Side): void {
    if (side === this._active) return
    const pos = this.position
    const wasPlaying = this.playing
    if (wasPlaying) this.stopNode()
    this._active = side
    if (this.out) this.out.gain.value = this.gain(side)
    this.pausedAt = Math.min(pos, this.duration)
    if (wasPlaying && this.clips.has(side)) this.startNode(this.pausedAt)
    this.changed()
  }

  dispose(): void {
    this.stopNode()
    this.out?.disconnect()
    this.onChange = null
  }

  /** The loop region within the active clip; the region asked for is kept, so a shorter clip on the
   * other side does not shrink it for good. */
  private region(): [number, number] {
    const d = this.duration
    return [Math.min(this._loopStart, d), Math.min(this._loopEnd, d)]
  }

  private startNode(from: number): void {
    const clip = this.clips.get(this._active)
    if (!clip || !this.ctx || !this.out) return
    const node = this.ctx.createBufferSource()
    node.buffer = clip.buffer
    let offset = from
    const [a, b] = this.region()
    if (this._loop && b > a) {
      node.loop = true
      node.loopStart = a
      node.loopEnd = b
      if (offset < a || offset >= b) offset = a
    }
    node.connect(this.out)
    node.onended = () => {
      // Only a node that ran to its end (not one stopped for a seek or a switch) ends playback.
      if (this.node !== node) return
      this.node = null
      this.pausedAt = 0
      this.changed()
    }
    this.anchorCtx = this.ctx.currentTime
    this.anchorPos = offset
    this.node = node
    node.start(0, offset)
  }

  private stopNode(): void {
    const n = this.node
    if (!n) return
    this.node = null
    n.onended = null
    try {
      n.stop()
    } catch {
      /* already stopped */
    }
    n.disconnect()
  }

  private changed(): void {
    this.onChange?.()
  }
}
