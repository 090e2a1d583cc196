/** Types of template.js for the tests that run walkthroughs the way the page does. */
export interface TemplateRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: { readonly text?: string; readonly base64?: string };
}
export function joinQuery(path: string): string;
export function resolveRequest(request: TemplateRequest, vars: Readonly<Record<string, string>>): TemplateRequest & { headers: Record<string, string>; missing: string[] };
export function nextLink(header: string | null | undefined): string | undefined;
export function captureFrom(capture: Readonly<Record<string, string>> | undefined, header: (name: string) => string | null | undefined, vars: Readonly<Record<string, string>>): Record<string, string>;
export function headerLines(headers: Readonly<Record<string, string>>): string;
export function parseHeaderLines(text: string): Record<string, string>;
export function sameRequest(request: TemplateRequest, written: TemplateRequest): boolean;
export function bodyBytes(body: TemplateRequest['body']): string | Uint8Array | undefined;
