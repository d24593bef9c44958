/**
 * The deployment files in deploy/ agree with the code: every TURBINE_* name is a real option, the
 * probes hit the HTTP server's real paths and port, and the grace periods outlast the drain.
 *
 * YAML is parsed with js-yaml, which is already installed as a dependency of jest
 * (jest → @jest/transform → babel-plugin-istanbul → @istanbuljs/load-nyc-config); `loadAll`
 * exists in both js-yaml 3 and 4.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envName, OPTIONS } from '../../../src/config/options';

const yaml = require('js-yaml') as { loadAll(text: string): unknown[] };

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is walked structurally
type Doc = Record<string, any>;

const ROOT = join(__dirname, '..', '..', '..');
const DEPLOY = join(ROOT, 'deploy');
const K8S = join(DEPLOY, 'kubernetes');

function docs(path: string): Doc[] {
  return yaml.loadAll(readFileSync(path, 'utf8')).filter((d): d is Doc => d !== null && typeof d === 'object');
}

function doc(path: string): Doc {
  const all = docs(path);
  expect(all).toHaveLength(1);
  return all[0]!;
}

function k8s(file: string, kind: string): Doc {
  const found = docs(join(K8S, file)).find((d) => d.kind === kind);
  if (!found) throw new Error(`${file} has no ${kind}`);
  return found;
}

const VALID_ENV = new Set(
  Object.keys(OPTIONS)
    .filter((name) => name !== 'kafka')
    .map(envName),
);

function invalidTurbineNames(names: string[]): string[] {
  return names
    .filter((n) => n.startsWith('TURBINE_'))
    .filter((n) => !VALID_ENV.has(n) && !/^TURBINE_KAFKA_[A-Z0-9_]+$/.test(n));
}

const defaultOf = (name: keyof typeof OPTIONS): unknown => OPTIONS[name].schema.parse(undefined);

/** The shutdown deadline in seconds a set of TURBINE_* settings gives (or the default). */
function shutdownSeconds(env: Record<string, unknown>): number {
  const value = env[envName('shutdownTimeoutMs')] ?? defaultOf('shutdownTimeoutMs');
  return Number(value) / 1000;
}

/** Compose durations such as "45s", "1m30s". */
function composeSeconds(text: string): number {
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)/g)) {
    total += Number(n) * ({ h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, ns: 1e-9 } as Record<string, number>)[unit!]!;
  }
  return total;
}

describe('HTTP server', () => {
  test('routes /healthz and /readyz, on the default metrics port 9464', () => {
    // Read from the source rather than started: the server needs a whole engine behind it.
    const source = readFileSync(join(ROOT, 'src', 'observability', 'http-server.ts'), 'utf8');
    for (const path of ['/healthz', '/readyz', '/metrics']) expect(source).toContain(`url === '${path}'`);
    expect(defaultOf('metricsPort')).toBe(9464);
  });
});

describe('deploy/kubernetes', () => {
  test('kustomization lists every manifest in the folder, and each parses', () => {
    const kustomization = doc(join(K8S, 'kustomization.yaml'));
    const files = readdirSync(K8S)
      .filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml')
      .sort();
    expect([...kustomization.resources].sort()).toEqual(files);
    for (const f of files) {
      const all = docs(join(K8S, f));
      expect(all.length).toBeGreaterThan(0);
      for (const d of all) {
        expect(typeof d.apiVersion).toBe('string');
        expect(typeof d.kind).toBe('string');
        expect(typeof d.metadata?.name).toBe('string');
      }
    }
  });

  test('every TURBINE_* key in the ConfigMap is a real option', () => {
    const data = k8s('configmap.yaml', 'ConfigMap').data as Record<string, unknown>;
    const keys = Object.keys(data);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((k) => !k.startsWith('TURBINE_'))).toEqual([]);
    expect(invalidTurbineNames(keys)).toEqual([]);
    for (const name of Object.keys(OPTIONS) as (keyof typeof OPTIONS)[]) {
      if ((OPTIONS[name] as { required?: boolean }).required) expect(keys).toContain(envName(name));
    }
    for (const value of Object.values(data)) expect(typeof value).toBe('string');
  });

  test('probes and ports match the HTTP server, and the grace period outlasts the drain', () => {
    const configMap = k8s('configmap.yaml', 'ConfigMap');
    const deployment = k8s('deployment.yaml', 'Deployment');
    const pod = deployment.spec.template.spec;
    expect(pod.containers).toHaveLength(1);
    const container = pod.containers[0];

    expect(container.envFrom).toContainEqual({ configMapRef: { name: configMap.metadata.name } });
    // The inventory keeps its levels in keyed state; each pod advertises its own IP for query redirects.
    expect(configMap.data[envName('stateStore')]).toBe('levels');
    expect(configMap.data[envName('guarantee')]).toBe('exactly-once');
    const env = container.env as Doc[];
    expect(env.find((e) => e.name === 'POD_IP')?.valueFrom.fieldRef.fieldPath).toBe('status.podIP');
    const podIpAt = env.findIndex((e) => e.name === 'POD_IP');
    const advertisedAt = env.findIndex((e) => e.name === envName('advertisedUrl'));
    // Kubernetes expands $(POD_IP) only from variables defined before it in the list.
    expect(advertisedAt).toBeGreaterThan(podIpAt);
    expect(env[advertisedAt]?.value).toBe('http://$(POD_IP):9464');
    expect(invalidTurbineNames(env.map((e) => e.name))).toEqual([]);
    const port = Number(configMap.data[envName('metricsPort')] ?? defaultOf('metricsPort'));
    expect(port).toBe(9464);
    const metricsPort = container.ports.find((p: Doc) => p.name === 'metrics');
    expect(metricsPort.containerPort).toBe(port);
    const resolve = (p: string | number) =>
      typeof p === 'number' ? p : container.ports.find((c: Doc) => c.name === p)?.containerPort;
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(resolve(container.livenessProbe.httpGet.port)).toBe(9464);
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(resolve(container.readinessProbe.httpGet.port)).toBe(9464);

    const annotations = deployment.spec.template.metadata.annotations;
    expect(annotations['prometheus.io/scrape']).toBe('true');
    expect(annotations['prometheus.io/port']).toBe(String(port));
    expect(annotations['prometheus.io/path']).toBe('/metrics');

    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(shutdownSeconds(configMap.data));
    expect(container.resources.limits.cpu).toBeDefined();
  });

  test('the container runs non-root with a read-only root filesystem and no capabilities', () => {
    const pod = k8s('deployment.yaml', 'Deployment').spec.template.spec;
    const sc = pod.containers[0].securityContext;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBe(1000);
    expect(sc.readOnlyRootFilesystem).toBe(true);
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(sc.capabilities.drop).toEqual(['ALL']);
  });

  test('Service, ServiceMonitor and HPA point at the Deployment and its metrics port', () => {
    const deployment = k8s('deployment.yaml', 'Deployment');
    const podLabels = deployment.spec.template.metadata.labels;
    const service = k8s('service.yaml', 'Service');
    for (const [k, v] of Object.entries(service.spec.selector)) expect(podLabels[k]).toBe(v);
    const servicePort = service.spec.ports.find((p: Doc) => p.name === 'metrics');
    expect(servicePort.port).toBe(9464);

    const monitor = k8s('servicemonitor.yaml', 'ServiceMonitor');
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) expect(service.metadata.labels[k]).toBe(v);
    expect(monitor.spec.endpoints).toContainEqual(expect.objectContaining({ port: 'metrics', path: '/metrics' }));

    const hpa = k8s('hpa.yaml', 'HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    expect(hpa.spec.metrics[0].type).toBe('External');
    expect(hpa.spec.metrics[0].external.metric.name).toBe('turbine_consumer_lag_records');
    expect(hpa.spec.maxReplicas).toBeGreaterThanOrEqual(hpa.spec.minReplicas);
  });
});

describe('deploy/docker-compose.yml', () => {
  const compose = doc(join(DEPLOY, 'docker-compose.yml'));
  const services = compose.services as Record<string, Doc>;

  test('every TURBINE_* variable is a real option and the worker is the inventory sample', () => {
    for (const service of Object.values(services)) {
      const env = (service.environment ?? {}) as Record<string, unknown>;
      expect(Array.isArray(env)).toBe(false);
      expect(invalidTurbineNames(Object.keys(env))).toEqual([]);
    }
    const env = services.turbine!.environment as Record<string, unknown>;
    expect(env[envName('worker')]).toBe('/app/dist/workers/inventory.js');
    expect(readdirSync(join(ROOT, 'workers'))).toContain('inventory.ts');
    expect(services.loadgen!.command).toEqual([
      'loadgen',
      '--brokers',
      'kafka:9092',
      '--topic',
      'stock-movements',
      '--rate',
      '2000',
      '--duration',
      '600',
    ]);
    expect(env[envName('input')]).toBe('stock-movements');
    // Stock levels are keyed state: exactly-once, and queries redirected to the owner.
    expect(env[envName('stateStore')]).toBe('levels');
    expect(env[envName('guarantee')]).toBe('exactly-once');
    expect(env[envName('advertisedUrl')]).toBe('http://turbine:9464');
  });

  test('the stop grace period outlasts the shutdown deadline', () => {
    const turbine = services.turbine!;
    expect(composeSeconds(turbine.stop_grace_period)).toBeGreaterThan(shutdownSeconds(turbine.environment));
  });

  test('Prometheus scrapes turbine:9464 and loads the alert rules; Grafana gets both provisioning files', () => {
    expect(services.kafka!.image).toBe('apache/kafka:4.1.1');
    const prometheusConfig = doc(join(DEPLOY, 'prometheus', 'prometheus.yml'));
    const targets = prometheusConfig.scrape_configs.flatMap((s: Doc) =>
      s.static_configs.flatMap((c: Doc) => c.targets),
    );
    expect(targets).toContain('turbine:9464');
    const mounts: string[] = services.prometheus!.volumes;
    for (const rule of prometheusConfig.rule_files as string[]) {
      expect(mounts).toContain(`./prometheus/turbine-alerts.yml:${rule}:ro`);
    }
    expect(doc(join(DEPLOY, 'prometheus', 'turbine-alerts.yml')).groups.length).toBeGreaterThan(0);

    const datasources = doc(join(DEPLOY, 'grafana', 'provisioning', 'datasources', 'prometheus.yml')).datasources;
    const dashboard = JSON.parse(readFileSync(join(DEPLOY, 'grafana', 'turbine-dashboard.json'), 'utf8')) as Doc;
    const variable = dashboard.templating.list.find((v: Doc) => v.name === 'datasource');
    // The dashboard's `datasource` variable resolves to the default data source of its type.
    expect(datasources).toContainEqual(expect.objectContaining({ type: variable.query, isDefault: true }));
    const providers = doc(join(DEPLOY, 'grafana', 'provisioning', 'dashboards', 'turbine.yml')).providers;
    const dashboardMount = (services.grafana!.volumes as string[]).find((v) =>
      v.startsWith('./grafana/turbine-dashboard.json:'),
    );
    expect(dashboardMount).toBeDefined();
    expect(dashboardMount!.split(':')[1]!.startsWith(`${providers[0].options.path}/`)).toBe(true);
  });
});
