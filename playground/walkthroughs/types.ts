/**
 * What a walkthrough is: a guided sequence of real requests, one per step. Each step says what
 * to send (method, path, headers, body — the page lets a person edit all of it before sending),
 * which statuses the spec allows in answer, which response headers to remember for later steps
 * (`{{name}}` in a later path or header: an upload session's Location, the next page's Link), the
 * spec sentences that govern it (ids in spec/sentences.ts) and what to notice.
 */
export interface StepBody {
  /** UTF-8 text, editable on the page. */
  readonly text?: string;
  /** Binary content (a gzip'd tar layer), sent as is; the page shows its size and first bytes. */
  readonly base64?: string;
}

export interface StepRequest {
  readonly method: string;
  /** Origin-relative; may hold `{{name}}` placeholders. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: StepBody;
}

export interface Step {
  readonly title: string;
  readonly request: StepRequest;
  /** The statuses the spec allows here; anything else is shown as a deviation. */
  readonly expect: readonly number[];
  /** Variables taken from the response: a header name (lower case), or `link` for the URL of rel="next". */
  readonly capture?: Readonly<Record<string, string>>;
  readonly sentences: readonly string[];
  readonly notice: string;
}

export interface Walkthrough {
  readonly id: string;
  readonly title: string;
  readonly summary: string;
  readonly intro: string;
  readonly repositories: readonly string[];
  readonly steps: readonly Step[];
}

/** What a walkthrough is built with: fresh repository names, and the registry's GC settings. */
export interface BuildContext {
  repo(hint: string): string;
  readonly gc: { readonly graceSeconds: number; readonly deleteUntagged: boolean };
}

export interface WalkthroughDefinition {
  readonly id: string;
  readonly title: string;
  readonly summary: string;
  build(context: BuildContext): Omit<Walkthrough, 'id' | 'title' | 'summary'>;
}
