import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A pull request as the stand-in keeps it (the fields of GitHub's answer that nx-gitops reads). */
export interface StandInPullRequest {
  number: number;
  state: 'open' | 'closed';
  title: string;
  body: string;
  html_url: string;
  head: { ref: string; repo: { full_name: string } };
  base: { ref: string };
}

/** One request the stand-in received. */
export interface StandInRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

/** A local HTTP server speaking the subset of GitHub's REST API that pull-request mode uses. */
export interface GitHubApiStandIn {
  /** `http://127.0.0.1:<port>`, to give as `forgeApiUrl`. */
  url: string;
  pulls: StandInPullRequest[];
  /** Comments by issue (pull request) number. */
  comments: Map<number, string[]>;
  requests: StandInRequest[];
  /** How many coming `GET …/pulls?head=` answers leave out the open pull requests (as a listing that lags behind). */
  staleHeadListings: number;
  close(): Promise<void>;
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

/**
 * Starts the stand-in on 127.0.0.1. Only `Authorization: Bearer <token>` is accepted (401 "Bad credentials"
 * otherwise); `POST /repos/{owner}/{repo}/pulls` answers 422 "A pull request already exists" for a head with an
 * open pull request, as GitHub does; a listing comes in pages (`per_page`, `page`, a `Link` header to the next).
 * Routes: list, create and update pulls, comment on an issue.
 */
export async function startGitHubApiStandIn(options: {
  token: string;
  /** Rewrites the URL of the next page a listing's Link header names (a test of a server pointing elsewhere). */
  nextPageUrl?: (url: string) => string;
}): Promise<GitHubApiStandIn> {
  const state: Omit<GitHubApiStandIn, 'url' | 'close'> = { pulls: [], comments: new Map(), requests: [], staleHeadListings: 0 };
  let url = '';
  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const parsed = new URL(request.url ?? '/', 'http://stand-in');
      state.requests.push({ method: request.method ?? '', path: `${parsed.pathname}${parsed.search}`, authorization: request.headers.authorization, body });
      if (request.headers.authorization !== `Bearer ${options.token}`) {
        send(response, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
        return;
      }
      const pulls = /^\/repos\/([^/]+)\/([^/]+)\/pulls(?:\/(\d+))?$/.exec(parsed.pathname);
      const comments = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(parsed.pathname);
      if (pulls && !pulls[3] && request.method === 'GET') {
        const owner = pulls[1];
        const wanted = parsed.searchParams.get('state') ?? 'open';
        const head = parsed.searchParams.get('head');
        const base = parsed.searchParams.get('base');
        let found = state.pulls.filter((pull) => wanted === 'all' || pull.state === wanted);
        if (head) {
          found = found.filter((pull) => `${owner}:${pull.head.ref}` === head);
          if (state.staleHeadListings > 0) {
            state.staleHeadListings--;
            found = [];
          }
        }
        if (base) found = found.filter((pull) => pull.base.ref === base);
        // GitHub's pagination: per_page (default 30, at most 100) and page, the next page in a Link header.
        const perPage = Math.min(100, Number(parsed.searchParams.get('per_page') ?? 30));
        const page = Number(parsed.searchParams.get('page') ?? 1);
        const next = new URL(`${url}${parsed.pathname}${parsed.search}`);
        next.searchParams.set('page', String(page + 1));
        const more = found.length > page * perPage;
        send(response, 200, found.slice((page - 1) * perPage, page * perPage), more ? { link: `<${options.nextPageUrl?.(next.href) ?? next.href}>; rel="next"` } : {});
      } else if (pulls && !pulls[3] && request.method === 'POST') {
        const input = body as { title: string; head: string; base: string; body?: string };
        if (state.pulls.some((pull) => pull.state === 'open' && pull.head.ref === input.head && pull.base.ref === input.base)) {
          send(response, 422, {
            message: 'Validation Failed',
            errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${pulls[1]}:${input.head}.` }],
          });
          return;
        }
        const number = state.pulls.length + 1;
        const pull: StandInPullRequest = {
          number,
          state: 'open',
          title: input.title,
          body: input.body ?? '',
          html_url: `${url}/${pulls[1]}/${pulls[2]}/pull/${number}`,
          head: { ref: input.head, repo: { full_name: `${pulls[1]}/${pulls[2]}` } },
          base: { ref: input.base },
        };
        state.pulls.push(pull);
        send(response, 201, pull);
      } else if (pulls && pulls[3] && request.method === 'PATCH') {
        const pull = state.pulls.find((each) => each.number === Number(pulls[3]));
        if (!pull) return send(response, 404, { message: 'Not Found' });
        Object.assign(pull, body as Partial<StandInPullRequest>);
        send(response, 200, pull);
      } else if (comments && request.method === 'POST') {
        const number = Number(comments[3]);
        state.comments.set(number, [...(state.comments.get(number) ?? []), (body as { body: string }).body]);
        send(response, 201, { id: 1 });
      } else {
        send(response, 404, { message: 'Not Found' });
      }
    })().catch((error: unknown) => send(response, 500, { message: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
}
