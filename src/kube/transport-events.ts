/**
 * The listener side of a Transport (wire/transport.ts), the base of the exec and port-forward transports: bytes
 * that arrive before anyone listens wait for the first data listener; the close is told once, and also to
 * listeners added after it. Subclasses report with the protected `emit*` methods.
 */
export abstract class TransportEvents {
  readonly #data: ((data: Uint8Array) => void)[] = [];
  readonly #drain: (() => void)[] = [];
  readonly #close: ((error?: Error) => void)[] = [];
  #early: Uint8Array[] = [];
  #closed: { error: Error | undefined } | undefined;

  /** The close was told. */
  protected get closeTold(): boolean {
    return this.#closed !== undefined;
  }

  onData(listener: (data: Uint8Array) => void): void {
    this.#data.push(listener);
    const early = this.#early;
    this.#early = [];
    for (const chunk of early) listener(chunk);
  }

  onDrain(listener: () => void): void {
    this.#drain.push(listener);
  }

  onClose(listener: (error?: Error) => void): void {
    if (this.#closed) {
      const { error } = this.#closed;
      queueMicrotask(() => (error ? listener(error) : listener()));
      return;
    }
    this.#close.push(listener);
  }

  /** Bytes from the peer. `transient`: the view is valid only now, so bytes kept for later are copied. */
  protected emitData(chunk: Uint8Array, transient = false): void {
    if (this.#data.length === 0) this.#early.push(transient ? Uint8Array.from(chunk) : chunk);
    else for (const l of this.#data) l(chunk);
  }

  protected emitDrain(): void {
    for (const l of this.#drain) l();
  }

  /** Tells the close (an error if it failed) once; false if it was told already. */
  protected emitClose(error: Error | undefined): boolean {
    if (this.#closed) return false;
    this.#closed = { error };
    for (const l of this.#close) error ? l(error) : l();
    return true;
  }
}
