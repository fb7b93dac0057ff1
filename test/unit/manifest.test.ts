import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { COMMAND_TITLES, Commands } from '../../shared/src/commands';
import { LANGUAGE_ID } from '../../shared/src/protocol';
import { DEFAULT_SETTINGS, normalizeSettings, SETTINGS_SECTION } from '../../shared/src/settings';
import { classifyPath } from '../../server/src/workspace/classify';

const root = path.resolve(__dirname, '../..');

interface Manifest {
  name: string;
  publisher: string;
  capabilities?: { untrustedWorkspaces?: { supported: unknown; restrictedConfigurations?: string[] } };
  contributes: {
    configurationDefaults: Record<string, Record<string, unknown> | undefined>;
    commands: { command: string; title: string }[];
    configuration: { properties: Record<string, { default: unknown }> };
    languages: { id: string; filenamePatterns?: string[]; extensions?: string[] }[];
    grammars: { path: string; scopeName: string }[];
  };
}

const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;

/** `{format: {enable: true}}` is the setting `format.enable`, as VS Code nests dotted keys. */
function dottedSettings(settings: object, prefix = ''): [string, unknown][] {
  return Object.entries(settings as Record<string, unknown>).flatMap(([key, value]): [string, unknown][] =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? dottedSettings(value, `${prefix}${key}.`)
      : [[`${prefix}${key}`, value]],
  );
}

describe('package.json stays in step with shared/', () => {
  test('every command declared in shared/ is contributed with the same title, and nothing else', () => {
    const contributed = Object.fromEntries(manifest.contributes.commands.map((c) => [c.command, c.title]));
    assert.deepEqual(contributed, COMMAND_TITLES);
    assert.deepEqual(Object.keys(contributed).sort(), Object.values(Commands).sort());
  });

  test('every setting has the default shared/ uses', () => {
    const properties = manifest.contributes.configuration.properties;
    for (const [key, value] of dottedSettings(DEFAULT_SETTINGS)) {
      assert.deepEqual(properties[`${SETTINGS_SECTION}.${key}`]?.default, value, key);
    }
  });

  test('format-on-save is the default for SLayer files only, with this extension as their formatter', () => {
    const defaults = manifest.contributes.configurationDefaults;
    assert.deepEqual(
      Object.keys(defaults).filter((key) => key.startsWith('[')),
      [`[${LANGUAGE_ID}]`],
    );
    assert.equal(defaults[`[${LANGUAGE_ID}]`]?.['editor.formatOnSave'], true);
    assert.equal(defaults[`[${LANGUAGE_ID}]`]?.['editor.defaultFormatter'], `${manifest.publisher}.${manifest.name}`);
  });

  test('Restricted Mode is supported in part, and every restricted setting is one of ours', () => {
    const trust = manifest.capabilities?.untrustedWorkspaces;
    assert.equal(trust?.supported, 'limited');
    const declared = Object.keys(manifest.contributes.configuration.properties);
    assert.ok((trust.restrictedConfigurations ?? []).length > 0);
    for (const setting of trust.restrictedConfigurations ?? []) assert.ok(declared.includes(setting), setting);
  });

  test('malformed settings fall back to defaults instead of breaking the server', () => {
    assert.deepEqual(normalizeSettings({ storageRoots: 'oops', warnOnUnknownFields: 'yes', exclude: [1, 'a'] }), {
      ...DEFAULT_SETTINGS,
      exclude: ['a'],
    });
  });

  test('the language and grammar files exist', () => {
    assert.equal(manifest.contributes.languages[0]?.id, LANGUAGE_ID);
    for (const grammar of manifest.contributes.grammars)
      assert.ok(existsSync(path.join(root, grammar.path)), grammar.path);
  });
});

describe('file classification follows SLayer storage layout', () => {
  const cases: [string, string | undefined, string | undefined][] = [
    ['/w/root/models/shop/orders.yaml', 'model', 'shop'],
    ['/w/root/models/orders.yml', 'model', undefined],
    ['/w/root/datasources/shop.yaml', 'datasource', undefined],
    ['/w/anywhere/top.query.yaml', 'query', undefined],
    ['/w/anywhere/top.query.json', 'query', undefined],
    ['/w/root/models/shop/notes.md', undefined, undefined],
    ['/w/root/other/orders.yaml', undefined, undefined],
  ];
  for (const [file, kind, folder] of cases) {
    test(`${file} is ${kind ?? 'not a SLayer file'}`, () => {
      const classified = classifyPath(file);
      assert.equal(classified?.kind, kind);
      assert.equal(classified?.location?.dataSourceFolder, folder);
    });
  }
});
