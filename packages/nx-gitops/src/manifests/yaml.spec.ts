import { GitopsError } from '../lib/errors';
import { YamlTimestamp, cloneManifest, isManifestObject, marshalYaml, parseManifests, serializeManifests } from './yaml';

// Expected outputs below are the bytes gopkg.in/yaml.v3 v3.0.1 (the version skaffold vendors) produces when
// each document is unmarshalled into map[string]interface{}, marshalled with an indent-2 encoder, TrimSpace'd
// and joined with "\n---\n" plus a final newline, as `skaffold render` writes.

const kustomizeOutput = String.raw`apiVersion: v1
kind: Service
metadata:
  labels:
    app: web
  name: web
  namespace: shop
spec:
  ports:
  - name: http
    port: 80
    protocol: TCP
    targetPort: 8080
  selector:
    app: web
  type: ClusterIP
---
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    config.kubernetes.io/origin: |
      path: base/deployment.yaml
  labels:
    app: web
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - args:
        - --port=8080
        - --verbose
        env:
        - name: LOG_LEVEL
          value: "debug"
        - name: FEATURE_X
          value: "true"
        - name: WORKERS
          value: "4"
        image: registry.example.com/web:1a2b3c4
        name: web
        ports:
        - containerPort: 8080
        readinessProbe:
          httpGet:
            path: /healthz
            port: 8080
        resources:
          limits:
            cpu: 500m
            memory: 256Mi
          requests:
            cpu: 0.25
            memory: 128Mi
`;

const renderedDeploymentAndService = String.raw`apiVersion: v1
kind: Service
metadata:
  labels:
    app: web
  name: web
  namespace: shop
spec:
  ports:
    - name: http
      port: 80
      protocol: TCP
      targetPort: 8080
  selector:
    app: web
  type: ClusterIP
---
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    config.kubernetes.io/origin: |
      path: base/deployment.yaml
  labels:
    app: web
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - args:
            - --port=8080
            - --verbose
          env:
            - name: LOG_LEVEL
              value: debug
            - name: FEATURE_X
              value: "true"
            - name: WORKERS
              value: "4"
          image: registry.example.com/web:1a2b3c4
          name: web
          ports:
            - containerPort: 8080
          readinessProbe:
            httpGet:
              path: /healthz
              port: 8080
          resources:
            limits:
              cpu: 500m
              memory: 256Mi
            requests:
              cpu: 0.25
              memory: 128Mi
`;

const trickyScalars = String.raw`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, "1": one, "10": ten, "2": two, a10: x, a9: y, A: z, _x: u, "-y": v}
  annotations:
    note: "line one\nline two\n"
    trailing: "ends with space "
    spacebreak: "foo \nbar"
    tab: "a\tb"
    emoji: "hi 😀"
    colon: "a: b"
    hash: "a #b"
    hash2: "a#b"
    lead: "- x"
    star: "*x"
    quote: "'q'"
    dq: 'say "hi"'
    empty: ""
    nul: null
    tilde: ~
    yes: yes
    onstr: "on"
    date: 2001-12-14
    dt: 2001-12-14T21:59:43.10-05:00
    dt2: 2001-12-14 21:59:43.10
    dtbad: 2001-13-14
    dtfeb: 2023-02-29
    time: "12:30"
    port: 8080:80
    oct: 0777
    hex: 0x1F
    under: 1_000
    big: 99999999999999999999
    neg: -12
    float: 1.5
    float2: 1.0
    float3: 0.00001
    float4: 1e400
    float5: .5
    float6: 1e3
    nan: .nan
    inf: -.Inf
    bool: True
    keep: |+
      keep

    strip: |-
      strip
    folded: >
      folded
      text
    indented: "  leading"
    crlf: "a\r\nb"
    long: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbb cccccccccccccccccc"
    dashes: "--- x"
    dots: "...x"
    pct: "%x"
    qmark: "?x"
    qmark2: "? x"
    nbsp: "a\u00a0b"
    nel: "a\u0085b"
    backslash: 'a\b'
    bom: "\ufeffx"
spec:
  replicas: 3
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.25
        args: ["--a", "--b=c", ""]
        env:
        - {name: A, value: "1"}
        - name: B
          value: "true"
        ports: []
        resources: {}
        command:
        - - nested
          - list
        - []
        - {}
`;

const trickyScalarsRendered = String.raw`apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    backslash: a\b
    big: 1e+20
    bom: "\uFEFF\x78"
    bool: true
    colon: 'a: b'
    crlf: "a\r\nb"
    dashes: '--- x'
    date: 2001-12-14T00:00:00Z
    dots: '...x'
    dq: say "hi"
    dt: 2001-12-14T21:59:43.1-05:00
    dt2: 2001-12-14T21:59:43.1Z
    dtbad: 2001-13-14
    dtfeb: 2023-02-29
    emoji: "hi \U0001F600"
    empty: ""
    float: 1.5
    float2: 1
    float3: 1e-05
    float4: 1e400
    float5: 0.5
    float6: 1000
    folded: |
      folded text
    hash: 'a #b'
    hash2: a#b
    hex: 31
    indented: '  leading'
    inf: -.inf
    keep: |+
      keep

    lead: '- x'
    long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbb cccccccccccccccccc
    nan: .nan
    nbsp: a b
    neg: -12
    nel: "a\Nb"
    note: |
      line one
      line two
    nul: null
    oct: 511
    onstr: "on"
    pct: '%x'
    port: 8080:80
    qmark: ?x
    qmark2: '? x'
    quote: '''q'''
    spacebreak: "foo \nbar"
    star: '*x'
    strip: strip
    tab: "a\tb"
    tilde: null
    time: "12:30"
    trailing: 'ends with space '
    under: 1000
    "yes": "yes"
  labels:
    -y: v
    _x: u
    "1": one
    "2": two
    "10": ten
    A: z
    a9: "y"
    a10: x
    app: web
  name: web
spec:
  replicas: 3
  template:
    spec:
      containers:
        - args:
            - --a
            - --b=c
            - ""
          command:
            - - nested
              - list
            - []
            - {}
          env:
            - name: A
              value: "1"
            - name: B
              value: "true"
          image: nginx:1.25
          name: web
          ports: []
          resources: {}
`;

const anchorsAndMerges = String.raw`base: &b
  x: 1
  y: [1, 2]
other:
  <<: *b
  x: 2
list:
- *b
- *b
"<<": quoted
? |
  multi
  key
: v
`;

const anchorsAndMergesRendered = String.raw`<<: quoted
base:
  x: 1
  "y":
    - 1
    - 2
list:
  - x: 1
    "y":
      - 1
      - 2
  - x: 1
    "y":
      - 1
      - 2
? |
  multi
  key
: v
other:
  x: 2
  "y":
    - 1
    - 2
`;

function roundTrip(text: string): string {
  return serializeManifests(parseManifests(text, 'manifest.yaml'));
}

function thrown(action: () => unknown): GitopsError {
  try {
    action();
  } catch (error) {
    if (error instanceof GitopsError) return error;
    throw error;
  }
  throw new Error('expected a GitopsError');
}

describe('serializeManifests', () => {
  it('writes a Deployment and a Service byte for byte as skaffold render does', () => {
    expect(roundTrip(kustomizeOutput)).toBe(renderedDeploymentAndService);
  });

  it('quotes, escapes and blocks scalars exactly as yaml.v3', () => {
    expect(roundTrip(trickyScalars)).toBe(trickyScalarsRendered);
  });

  it('expands anchors and merge keys, and writes long or multi-line keys with "?"', () => {
    expect(roundTrip(anchorsAndMerges)).toBe(anchorsAndMergesRendered);
  });

  it('is stable: serialising its own output again gives the same bytes', () => {
    const once = roundTrip(kustomizeOutput + '---\n' + trickyScalars);
    expect(roundTrip(once)).toBe(once);
  });

  it.each([
    [{ b: 1, a: 2, B: 3, _: 4, '-x': 5 }, '-x: 5\n_: 4\nB: 3\na: 2\nb: 1\n'],
    [{ a10: 1, a9: 2, a09: 3, a1: 4, 'a-1': 5 }, 'a-1: 5\na1: 4\na9: 2\na09: 3\na10: 1\n'],
    [{ '10': 1, '9': 2, '1a': 3, '1-': 4 }, '1a: 3\n1-: 4\n"9": 2\n"10": 1\n'],
  ])('sorts map keys in yaml.v3 natural order: %j', (document, expected) => {
    expect(serializeManifests([document])).toBe(expected);
  });

  it.each([
    [1, '1'],
    [-12, '-12'],
    [1.5, '1.5'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [123456.7, '123456.7'],
    [1234567.5, '1.2345675e+06'],
    [1e21, '1e+21'],
    [-0, '-0'],
    [Number.NaN, '.nan'],
    [Number.NEGATIVE_INFINITY, '-.inf'],
    [2n ** 63n - 1n, '9223372036854775807'],
    [true, 'true'],
    [null, 'null'],
    [new YamlTimestamp('2001-12-14T00:00:00Z'), '2001-12-14T00:00:00Z'],
  ])('formats %p like Go', (value, expected) => {
    expect(serializeManifests([{ v: value }])).toBe(`v: ${expected}\n`);
  });

  it('writes whole-number floats back as Go floats, through aliases, merges and copies', () => {
    const documents = parseManifests(
      'a: 1e6\nb: [2000000.0, 7]\nc: 1000000\nd: &f 3e6\ne: *f\nm: &m {x: 4e6}\nn:\n  <<: *m\n  y: !!float 5000000\n',
      'floats.yaml',
    );
    const expected = 'a: 1e+06\nb:\n  - 2e+06\n  - 7\nc: 1000000\nd: 3e+06\ne: 3e+06\nm:\n  x: 4e+06\n"n":\n  x: 4e+06\n  "y": 5e+06\n';
    expect(serializeManifests(documents)).toBe(expected);
    expect(serializeManifests(documents.map((document) => cloneManifest(document)))).toBe(expected);
    documents[0].a = 1000000;
    documents[0].c = 2000000;
    expect(serializeManifests(documents)).toMatch(/^a: 1e\+06\n[^]*c: 2000000\n/);
  });

  it('keeps non-string keys of nested maps typed, unquoted and first, as yaml.v3 does', () => {
    const text = 'data:\n  b: x\n  10: ten\n  2: two\n  true: t\n  1.5: f\n  "3": s\n  null: n\n  2001-12-14: d\n1: top\n';
    const expected = '"1": top\ndata:\n  true: t\n  1.5: f\n  2: two\n  10: ten\n  null: "n"\n  "3": s\n  b: x\n  2001-12-14T00:00:00Z: d\n';
    const documents = parseManifests(text, 'keys.yaml');
    expect(serializeManifests(documents)).toBe(expected);
    expect(serializeManifests(documents.map((document) => cloneManifest(document)))).toBe(expected);
  });

  it('writes empty collections in flow style and keeps one trailing newline', () => {
    expect(serializeManifests([{ a: [], b: {}, c: [[], {}] }])).toBe('a: []\nb: {}\nc:\n  - []\n  - {}\n');
    expect(serializeManifests([])).toBe('\n');
  });

  it('trims each document, so a keep-chomped block at the very end loses its trailing newlines as in skaffold', () => {
    expect(serializeManifests([{ a: 'x\n\n' }, { b: 1 }])).toBe('a: |+\n  x\n---\nb: 1\n');
  });

  it('marshalYaml keeps the encoder output untrimmed', () => {
    expect(marshalYaml({ k: 'v' })).toBe('k: v\n');
  });
});

describe('parseManifests', () => {
  it('decodes scalars as yaml.v3 does into interface{}', () => {
    const [document] = parseManifests(
      [
        'a: yes',
        'b: True',
        'c: 0777',
        'd: 0x1F',
        'e: 1_000',
        'f: 99999999999999999999',
        'g: 9223372036854775807',
        'h: 2001-12-14',
        'i: "2001-12-14"',
        'j: ~',
        'k:',
        'l: !!str 12',
        'm: !!float 3',
        'n: 1e400',
        'o: .5',
        'p: !Custom value',
      ].join('\n'),
      'scalars.yaml',
    );
    expect(document).toEqual({
      a: 'yes',
      b: true,
      c: 511,
      d: 31,
      e: 1000,
      f: 1e20,
      g: 9223372036854775807n,
      h: new YamlTimestamp('2001-12-14T00:00:00Z'),
      i: '2001-12-14',
      j: null,
      k: null,
      l: '12',
      m: 3,
      n: '1e400',
      o: 0.5,
      p: 'value',
    });
  });

  it.each([
    ['2001-12-14t21:59:43.10-05:00', '2001-12-14T21:59:43.1-05:00'],
    ['2001-12-14 21:59:43.10', '2001-12-14T21:59:43.1Z'],
    ['2001-1-2T3:04:05+00:00', '2001-01-02T03:04:05Z'],
    ['2024-02-29', '2024-02-29T00:00:00Z'],
  ])('decodes the timestamp %s as Go time.Time prints it', (text, expected) => {
    expect(parseManifests(`t: ${text}`, 'time.yaml')[0].t).toEqual(new YamlTimestamp(expected));
  });

  it.each(['2023-02-29', '2001-13-01', '2001-12-14T21:59:43', '2001-12-14 21:59:43 -5'])('keeps %s a string', (text) => {
    expect(parseManifests(`t: ${text}`, 'time.yaml')[0].t).toBe(text);
  });

  it('drops empty documents', () => {
    expect(parseManifests('---\n---\n{}\n---\n~\n---\na: 1\n', 'm.yaml')).toEqual([{ a: 1 }]);
    expect(parseManifests('', 'm.yaml')).toEqual([]);
  });

  it('gives every alias its own copy', () => {
    const [document] = parseManifests('x: &c {image: app}\ny: *c\n', 'm.yaml');
    const x = document.x;
    if (!isManifestObject(x)) throw new Error('x is a mapping');
    x.image = 'changed';
    expect(document.y).toEqual({ image: 'app' });
  });

  it('keeps a key named __proto__ as data', () => {
    const [document] = parseManifests('__proto__: {polluted: true}\n', 'm.yaml');
    expect(Object.keys(document)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['a: b\nc: d: e\n', 'out.yaml:2:4', 'Nested mappings'],
    ['INVALID\n', 'out.yaml:1:1', 'must be a mapping'],
    ['a: 1\n---\n- x\n', 'out.yaml:3:1', 'must be a mapping'],
    ['a: 1\na: 2\n', 'out.yaml:2:1', 'a mapping key already defined at line 1'],
    ['a: !!int abc\n', 'out.yaml:1:', 'cannot decode a !!str as a !!int'],
  ])('reports malformed YAML with the source, line and column: %j', (text, where, reason) => {
    const error = thrown(() => parseManifests(text, 'out.yaml'));
    expect(error.message).toContain(where);
    expect(error.message).toContain(reason);
    expect(error.hint).toContain('out.yaml');
  });
});
