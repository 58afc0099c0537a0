import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { quote, sh, raw, secret } from '../../../../runner/model/shell.ts';

const echo = (line: string) => execFileSync('/bin/sh', ['-c', line]).toString();

const hostile = [
  "it's",
  '$(touch /tmp/pwned)',
  '`id`',
  'a\nb',
  '',
  ' spaced  out ',
  '"dq"',
  '\\back\\slash',
  '*',
  '-n',
  'ü€',
  "''",
  '$HOME',
  ';rm -rf /;',
];

for (const v of hostile) {
  test(`quote() round-trips ${JSON.stringify(v)} through a real sh`, () => {
    assert.is(echo(`printf %s ${quote(v)}`), v);
  });
}

test('safe words stay unquoted, the empty string becomes two quotes', () => {
  assert.is(quote('/etc/apt/sources.list.d/ucware.list'), '/etc/apt/sources.list.d/ucware.list');
  assert.is(quote(''), "''");
  assert.is(quote("it's"), `'it'\\''s'`);
});

test('sh`` quotes each value; arrays become several words', () => {
  assert.is(sh`apt-get install ${['ucware', 'ucware core']}`, "apt-get install ucware 'ucware core'");
  assert.is(echo(sh`printf '%s|' ${['a b', "c'd", '$(x)']}`), "a b|c'd|$(x)|");
  assert.is(sh`x ${raw('2>&1')}`, 'x 2>&1');
  assert.is(sh`n=${5}`, 'n=5');
});

test('a secret refuses to go on a command line and prints as ***', () => {
  const s = secret('hunter2');
  assert.throws(() => sh`echo ${s}`, /stdin/);
  assert.is(String(s), '***');
  assert.is(JSON.stringify({ s }), '{"s":"***"}');
  assert.is(s.reveal(), 'hunter2');
});

test.run();
