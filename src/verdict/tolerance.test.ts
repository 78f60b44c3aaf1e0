/**
 * checkTolerance against chaostoolkit-lib 1.44's within_tolerance (with jsonpath2 0.4.5): the table was made by
 * running each case through Python (a str tolerance substituted first, as run_steady_state_hypothesis does), and
 * is checked on every run without Python. 'met' is a true result; 'not' false; 'none' the None of a tolerance
 * type chaostoolkit-lib has no rule for; 'raise' an exception (TypeError, InvalidOperation, a jsonpath2 parse
 * error) that stops `chaos run`; chaoscope counts the last two as not met and says why.
 */
import { describe, expect, it } from 'vitest'
import { checkTolerance, jsonPath2Problem, matchJsonPath2, parseJsonPath2 } from './tolerance.js'
import type { ActivityRun, ChaosToolkitActivityDefinition, ChaosToolkitTolerance, Values } from './types.js'

const VALUES: Values = { configuration: { expected: 200, name: 'ok', pat: '^O', path: '$.status', exp: 'ok', n: 2, lst: [1, 2] }, secrets: { s: { token: 't0k' } } }

type Verdict = 'met' | 'not' | 'none' | 'raise'

// [tolerance, value, what Python said] — from /tmp/oracle/tol.py (chaostoolkit-lib 1.44.0, Python 3.11)
const TABLE: [unknown, unknown, Verdict][] = [
  [true, true, 'met'],
  [true, 1, 'met'],
  [true, 1.5, 'not'],
  [true, "true", 'not'],
  [false, 0, 'met'],
  [false, null, 'not'],
  [true, [1], 'not'],
  [false, false, 'met'],
  [true, {"status": 1}, 'not'],
  [200, 200, 'met'],
  [200, 200.0, 'met'],
  [200, "200", 'not'],
  [200, {"status": 200}, 'met'],
  [200, {"status": 500}, 'not'],
  [200, {"status": "200"}, 'not'],
  [1, true, 'met'],
  [0, false, 'met'],
  [200, {"x": 1}, 'not'],
  [200, null, 'not'],
  [0, [], 'not'],
  [0, {"status": 0, "body": "x"}, 'met'],
  ["ok", "ok", 'met'],
  ["ok", "OK", 'not'],
  ["1", 1, 'not'],
  ["", "", 'met'],
  ["true", true, 'not'],
  ["ok", {"status": "ok"}, 'not'],
  ["${expected}", {"status": 200}, 'met'],
  ["${expected}", 200, 'met'],
  ["${expected}", "200", 'not'],
  ["${name}", "ok", 'met'],
  ["a ${expected}", "a 200", 'met'],
  ["${missing}", "${missing}", 'met'],
  ["$$", "$", 'met'],
  ["${lst}", 1, 'met'],
  ["${lst}", 1.5, 'met'],
  ["${lst}", {"status": 2}, 'met'],
  [1.5, 1.5, 'none'],
  [0.5, 0.5, 'none'],
  [-2.25, -2.25, 'none'],
  [[200, 201], {"status": 201}, 'met'],
  [[200, 201], {"status": 500}, 'not'],
  [[0, 10], 5, 'met'],
  [[0, 10], 10, 'met'],
  [[0, 10], 0, 'met'],
  [[0, 10], 10.5, 'not'],
  [[0, 10], -0.1, 'not'],
  [[0, 10], true, 'met'],
  [[0, 10], "5", 'raise'],
  [[0, 10], null, 'raise'],
  [["a", "c"], "b", 'met'],
  [["a", "c"], "d", 'not'],
  [[1, 2, 3], 2.0, 'met'],
  [[1, 2, 3], "2", 'not'],
  [["x"], "x", 'met'],
  [[], 1, 'not'],
  [[[1], [3]], [2], 'met'],
  [[[1], [3]], [4], 'not'],
  [[300, "x"], 200, 'not'],
  [[1, "x"], 5, 'raise'],
  [[0, 1.5], 1.5, 'met'],
  [["ok", "ready", "up"], "up", 'met'],
  [[true, false, null], null, 'met'],
  [[0, 10], [5], 'raise'],
  [["a", "b"], ["a"], 'raise'],
  [[null, null], null, 'raise'],
  [[1, 2], {"status": 1}, 'met'],
  [[1, 2], {"x": 1}, 'raise'],
  [[0, "z"], "m", 'raise'],
  [{"type": "nope"}, 1, 'none'],
  [null, null, 'none'],
  [{"type": "regex", "pattern": "^OK$"}, "OK", 'met'],
  [{"type": "regex", "pattern": "^OK$"}, "OK\n", 'met'],
  [{"type": "regex", "pattern": "^OK$"}, "OK\n\n", 'not'],
  [{"type": "regex", "pattern": "ok"}, "not ok", 'met'],
  [{"type": "regex", "pattern": "^ok"}, "not ok", 'not'],
  [{"type": "regex", "pattern": "a.c"}, "a\nc", 'not'],
  [{"type": "regex", "pattern": "a.c"}, "a\rc", 'met'],
  [{"type": "regex", "pattern": "(?s)a.c"}, "a\nc", 'met'],
  [{"type": "regex", "pattern": "(?m)^b$"}, "a\nb\nc", 'met'],
  [{"type": "regex", "pattern": "(?m)^b$"}, "a\rb\rc", 'not'],
  [{"type": "regex", "pattern": "(?i)HEALTHY"}, "healthy", 'met'],
  [{"type": "regex", "pattern": "\\d+ms"}, "took \u0663\u0664ms", 'met'],
  [{"type": "regex", "pattern": "(?a)\\d+ms"}, "took \u0663\u0664ms", 'not'],
  [{"type": "regex", "pattern": "^\\w+$"}, "h\u00e9llo", 'met'],
  [{"type": "regex", "pattern": "(?a)^\\w+$"}, "h\u00e9llo", 'not'],
  [{"type": "regex", "pattern": "\\s"}, "\u001c", 'met'],
  [{"type": "regex", "pattern": "\\s"}, "\ufeff", 'not'],
  [{"type": "regex", "pattern": "\\b\u00e9"}, " \u00e9", 'met'],
  [{"type": "regex", "pattern": "a{"}, "a{", 'met'],
  [{"type": "regex", "pattern": "^a{,2}$"}, "aa", 'met'],
  [{"type": "regex", "pattern": "^a{,2}$"}, "aaa", 'not'],
  [{"type": "regex", "pattern": "]"}, "]", 'met'],
  [{"type": "regex", "pattern": "}"}, "}", 'met'],
  [{"type": "regex", "pattern": "\\-"}, "-", 'met'],
  [{"type": "regex", "pattern": "\\A\\d"}, "1", 'met'],
  [{"type": "regex", "pattern": "\\d\\Z"}, "1\n", 'not'],
  [{"type": "regex", "pattern": "\\d\\Z"}, "1", 'met'],
  [{"type": "regex", "pattern": "(?i)(?m)^A"}, "x\na", 'met'],
  [{"type": "regex", "pattern": "(?P<n>a)(?P=n)"}, "aa", 'met'],
  [{"type": "regex", "pattern": "(?P<n>a)(?P=n)"}, "ab", 'not'],
  [{"type": "regex", "pattern": "[]a]"}, "]", 'met'],
  [{"type": "regex", "pattern": "[^]a]"}, "]", 'not'],
  [{"type": "regex", "pattern": "[\\W\\d]"}, "!", 'met'],
  [{"type": "regex", "pattern": "^[\\W\\d]$"}, "a", 'not'],
  [{"type": "regex", "pattern": "^[^\\W]$"}, "\u00e9", 'met'],
  [{"type": "regex", "pattern": "^[^\\W\\d]$"}, "5", 'not'],
  [{"type": "regex", "pattern": "(?x) a b # c\n c"}, "abc", 'met'],
  [{"type": "regex", "pattern": "(?x)[ ]"}, " ", 'met'],
  [{"type": "regex", "pattern": "\\x41\\u0042\\U00000043"}, "ABC", 'met'],
  [{"type": "regex", "pattern": "\\101"}, "A", 'met'],
  [{"type": "regex", "pattern": "\\0"}, "\u0000", 'met'],
  [{"type": "regex", "pattern": "[\\b]"}, "\b", 'met'],
  [{"type": "regex", "pattern": "(a)\\1"}, "aa", 'met'],
  [{"type": "regex", "pattern": "^(a)\\1*$"}, "aaa", 'met'],
  [{"type": "regex", "pattern": "(?#comment)ok"}, "ok", 'met'],
  [{"type": "regex", "pattern": "\\$\\d"}, "$5", 'met'],
  [{"type": "regex", "pattern": "\\/"}, "/", 'met'],
  [{"type": "regex", "pattern": "[[:alpha:]]"}, ":", 'not'],
  [{"type": "regex", "pattern": "[[:alpha:]]"}, ":]", 'met'],
  [{"type": "regex", "pattern": "\\Z"}, "", 'met'],
  [{"type": "regex", "pattern": "^$"}, "", 'met'],
  [{"type": "regex", "pattern": "a|b"}, "b", 'met'],
  [{"type": "regex", "pattern": "^(?:x|y)+?$"}, "xyx", 'met'],
  [{"type": "regex", "pattern": "[a-]"}, "-", 'met'],
  [{"type": "regex", "pattern": "(?=a)a"}, "a", 'met'],
  [{"type": "regex", "pattern": "(?<=a)b"}, "ab", 'met'],
  [{"type": "regex", "pattern": "\\Bb"}, "ab", 'met'],
  [{"type": "regex", "pattern": "(?u)x"}, "x", 'met'],
  [{"type": "regex", "pattern": "\u00e9+"}, "\u00e9\u00e9", 'met'],
  [{"type": "regex", "pattern": "(?i)\u00e9"}, "\u00c9", 'met'],
  [{"type": "regex", "pattern": "(?i)k"}, "\u212a", 'met'],
  [{"type": "regex", "pattern": "${pat}"}, "Ok", 'met'],
  [{"type": "regex", "pattern": "${pat}"}, "ok", 'not'],
  [{"type": "regex", "pattern": "^$name$"}, "ok", 'met'],
  [{"type": "regex", "pattern": "a"}, null, 'raise'],
  [{"type": "regex", "pattern": "a"}, 5, 'raise'],
  [{"type": "regex", "pattern": "a"}, {"x": "a"}, 'raise'],
  [{"type": "regex", "pattern": "a", "target": "body"}, "xa", 'raise'],
  [{"type": "regex", "pattern": "a", "target": "body"}, {"body": "xa"}, 'met'],
  [{"type": "regex", "pattern": "a", "target": "body"}, {"stdout": "a"}, 'raise'],
  [{"type": "regex", "pattern": "^up", "target": "stdout"}, {"status": 0, "stdout": "up\n", "stderr": ""}, 'met'],
  [{"type": "range", "range": [0, 1]}, 0.5, 'met'],
  [{"type": "range", "range": [0, 1]}, 1, 'met'],
  [{"type": "range", "range": [0, 1]}, 0, 'met'],
  [{"type": "range", "range": [0, 1]}, 1.0000001, 'not'],
  [{"type": "range", "range": [0, 1]}, "0.5", 'met'],
  [{"type": "range", "range": [0, 1]}, " 0.5 ", 'met'],
  [{"type": "range", "range": [0, 20]}, "1_0", 'met'],
  [{"type": "range", "range": [0, 1]}, "NaN", 'raise'],
  [{"type": "range", "range": [0, 1]}, null, 'raise'],
  [{"type": "range", "range": [0, 1]}, [1], 'raise'],
  [{"type": "range", "range": [0, 1]}, true, 'met'],
  [{"type": "range", "range": [0.1, 1]}, "0.1", 'not'],
  [{"type": "range", "range": [0.1, 1]}, 0.1, 'met'],
  [{"type": "range", "range": [0, 1]}, "inf", 'not'],
  [{"type": "range", "range": [0, 1]}, "-inf", 'not'],
  [{"type": "range", "range": [0, 1]}, {"a": 1}, 'raise'],
  [{"type": "range", "range": [0, 1]}, "abc", 'not'],
  [{"type": "range", "range": [0, 1]}, "", 'not'],
  [{"type": "range", "range": [0, 1e+300]}, "1e400", 'not'],
  [{"type": "range", "range": [-1, 1]}, "-1e-400", 'met'],
  [{"type": "range", "range": [0, 1]}, "-1e-400", 'not'],
  [{"type": "range", "range": [0, 100], "target": "v"}, {"v": 50}, 'met'],
  [{"type": "range", "range": [0, 100], "target": "v"}, {"w": 50}, 'raise'],
  [{"type": "range", "range": [0, 100], "target": "v"}, 50, 'raise'],
  [{"type": "range", "range": [0.30000000000000004, 1]}, 0.30000000000000004, 'met'],
  [{"type": "range", "range": [0, 0.3]}, "0.3", 'not'],
  [{"type": "range", "range": [0, 0.3]}, 0.3, 'met'],
  [{"type": "range", "range": [1, 5]}, "\u0661.\u0665", 'met'],
  [{"type": "range", "range": [0, 1]}, "sNaN", 'raise'],
  [{"type": "range", "range": [0, 1]}, "0x1", 'not'],
  [{"type": "range", "range": [0, 1]}, ".5", 'met'],
  [{"type": "range", "range": [0, 1]}, "5.", 'not'],
  [{"type": "range", "range": [0, 10]}, "1e1", 'met'],
  [{"type": "jsonpath", "path": "$"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.error"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.error", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.error", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.status"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.status", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.status", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.nope"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.nope", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.nope", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.data.result[0].value[1]"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.data.result[0].value[1]", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.data.result[0].value[1]", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$..name"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$..name", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$..name", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[-1]"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[-1]", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[-1]", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[5]"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[5]", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[5]", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[0:2].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[0:2].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[0:2].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[::-1].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[::-1].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[::-1].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[-5:].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[-5:].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[-5:].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[:-1].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[:-1].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[:-1].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[1:0].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[1:0].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[1:0].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[::2].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[::2].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[::2].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[2:0:-1].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[2:0:-1].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[2:0:-1].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[5:0:-1].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[5:0:-1].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[5:0:-1].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[0:100000].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[0:100000].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[0:100000].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x = 1)].name"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x = 1)].name", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x = 1)].name", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[?(@.x = 1)]"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[?(@.x = 1)]", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[?(@.x = 1)]", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x > 1)].name"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x > 1)].name", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x > 1)].name", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x >= 1 and @.x < 2)].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x >= 1 and @.x < 2)].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x >= 1 and @.x < 2)].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x = 1 or @.x = 2)].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x = 1 or @.x = 2)].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x = 1 or @.x = 2)].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?(not @.name)].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(not @.name)].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(not @.name)].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x = \"3\")].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x = \"3\")].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x = \"3\")].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x != 1)].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x != 1)].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x != 1)].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items.length()"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items.length()", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items.length()", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.status.length()"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.status.length()", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.status.length()", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.status.charAt(0)"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.status.charAt(0)", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.status.charAt(0)", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.status.charAt(-1)"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.status.charAt(-1)", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.status.charAt(-1)", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.status.substring(1)"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.status.substring(1)", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.status.substring(1)", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[0].keys()"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[0].keys()", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[0].keys()", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[0].values()"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[0].values()", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[0].values()", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[0].entries()"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[0].entries()", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[0].entries()", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.and"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'raise'],
  [{"type": "jsonpath", "path": "$.and", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'raise'],
  [{"type": "jsonpath", "path": "$.and", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'raise'],
  [{"type": "jsonpath", "path": "$[\"status\",\"error\"]"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$[\"status\",\"error\"]", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$[\"status\",\"error\"]", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$..x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$..x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$..x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$..[0]"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$..[0]", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$..[0]", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[0,1].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[0,1].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[0,1].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$ . status"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$ . status", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$ . status", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x = 1 or @.x = 2 and @.x = 2)].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x = 1 or @.x = 2 and @.x = 2)].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x = 1 or @.x = 2 and @.x = 2)].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x = 1 or (@.x = 2 and @.x = 2))].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x = 1 or (@.x = 2 and @.x = 2))].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x = 1 or (@.x = 2 and @.x = 2))].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x = true)].name"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x = true)].name", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x = true)].name", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.name = $.items[0].name)].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.name = $.items[0].name)].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.name = $.items[0].name)].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.data.result[*].value[1]"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.data.result[*].value[1]", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.data.result[*].value[1]", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[0:3:0]"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'raise'],
  [{"type": "jsonpath", "path": "$.items[0:3:0]", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'raise'],
  [{"type": "jsonpath", "path": "$.items[0:3:0]", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'raise'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x == 1)]"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'raise'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x == 1)]", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'raise'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x == 1)]", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'raise'],
  [{"type": "jsonpath", "path": "$['status']"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'raise'],
  [{"type": "jsonpath", "path": "$['status']", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'raise'],
  [{"type": "jsonpath", "path": "$['status']", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'raise'],
  [{"type": "jsonpath", "path": "status"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'raise'],
  [{"type": "jsonpath", "path": "status", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'raise'],
  [{"type": "jsonpath", "path": "status", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'raise'],
  [{"type": "jsonpath", "path": "$.items[1.5]"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'raise'],
  [{"type": "jsonpath", "path": "$.items[1.5]", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'raise'],
  [{"type": "jsonpath", "path": "$.items[1.5]", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'raise'],
  [{"type": "jsonpath", "path": "$.items[*].nope()"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'raise'],
  [{"type": "jsonpath", "path": "$.items[*].nope()", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'raise'],
  [{"type": "jsonpath", "path": "$.items[*].nope()", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'raise'],
  [{"type": "jsonpath", "path": "${path}"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "${path}", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "${path}", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.data.result[?(@[*].metric.name = \"b\")].length()"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.data.result[?(@[*].metric.name = \"b\")].length()", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.data.result[?(@[*].metric.name = \"b\")].length()", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[$.items[1].x].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[$.items[1].x].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[$.items[1].x].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x < \"5\")]"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x < \"5\")]", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x < \"5\")]", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x)].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x)].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x)].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?(1)].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(1)].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?(1)].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?(\"\")].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?(\"\")].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?(\"\")].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x = 1.0)].name"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x = 1.0)].name", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?(@.x = 1.0)].name", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?([1] = [1])].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?([1] = [1])].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?([1] = [1])].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?({\"a\": 1})].x"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*][?({\"a\": 1})].x", "count": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*][?({\"a\": 1})].x", "count": 0}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.status", "expect": "ok"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.status", "expect": "${exp}"}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*].x", "expect": [1, 2, "3"]}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[*].x", "expect": [1, 2]}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.items[*].x", "expect": 1}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.error", "expect": null}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.nope", "expect": null}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'not'],
  [{"type": "jsonpath", "path": "$.nope", "expect": []}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[0].x", "expect": true}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.items[0].x", "expect": 1.0, "count": 5}, {"status": "ok", "error": null, "data": {"result": [{"metric": {"name": "a"}, "value": [1700000000.1, "0.5"]}, {"metric": {"name": "b"}, "value": [1, "2"]}]}, "items": [{"x": 1, "name": "n1"}, {"x": 2, "name": "n2"}, {"x": "3"}]}, 'met'],
  [{"type": "jsonpath", "path": "$.error", "count": 0}, {"error": "boom"}, 'not'],
  [{"type": "jsonpath", "path": "$.error", "count": 0}, "{\"ok\": true}", 'met'],
  [{"type": "jsonpath", "path": "$.error", "count": 0}, "{\"error\": 1}", 'not'],
  [{"type": "jsonpath", "path": "$", "expect": "not json"}, "not json", 'met'],
  [{"type": "jsonpath", "path": "$.a", "target": "body"}, {"status": 200, "body": "{\"a\": 1}"}, 'met'],
  [{"type": "jsonpath", "path": "$.a", "target": "body"}, {"status": 200, "body": {"a": 2}}, 'met'],
  [{"type": "jsonpath", "path": "$.a", "target": "body"}, {"a": 3}, 'met'],
  [{"type": "jsonpath", "path": "$.a", "target": "body"}, "{\"a\": 1}", 'raise'],
  [{"type": "jsonpath", "path": "$.a", "count": "1"}, {"a": 1}, 'not'],
  [{"type": "jsonpath", "path": "$.a", "count": true}, {"a": 1}, 'met'],
  [{"type": "jsonpath", "path": "$[*]", "count": 2}, [1, 2], 'met'],
  [{"type": "jsonpath", "path": "$.x", "expect": "${lst}"}, {"x": 1}, 'not'],
  [{"type": "jsonpath", "path": "$[*]", "expect": "${lst}"}, [1, 2], 'met'],
]

describe('checkTolerance agrees with within_tolerance', () => {
  it.each(TABLE.map(([t, v, r], i) => [i, JSON.stringify(t), JSON.stringify(v), r, t, v] as const))('#%i %s on %s: %s', async (_i, _t, _v, verdict, tol, value) => {
    const c = await checkTolerance(tol as ChaosToolkitTolerance, value, VALUES)
    expect(c.met).toBe(verdict === 'met')
    expect(c.observed).not.toBe('')
    expect(c.expected).not.toBe('')
  })
})

const NONE: Values = { configuration: {}, secrets: {} }
const words = async (tol: unknown, value: unknown, values = NONE) => {
  const c = await checkTolerance(tol as ChaosToolkitTolerance, value, values)
  return [c.met, c.observed, c.expected]
}

describe('what a check says', () => {
  it('in short words for each kind of tolerance', async () => {
    expect(await words(200, { status: 500, headers: {}, body: '' })).toEqual([false, 'status 500', '200'])
    expect(await words([200, 204], { status: 503 })).toEqual([false, 'status 503', 'one of 200, 204'])
    expect(await words([0, 300], 1520.3)).toEqual([false, '1520.3', 'between 0 and 300'])
    expect(await words(['up', 'ready', 'ok'], 'down')).toEqual([false, '"down"', 'one of "up", "ready", "ok"'])
    expect(await words(true, false)).toEqual([false, 'false', 'true'])
    expect(await words('ok', 'OK')).toEqual([false, '"OK"', '"ok"'])
    expect(await words({ type: 'jsonpath', path: '$.error', count: 0 }, '{"error": "boom"}')).toEqual([false, '1 match of $.error: "boom"', '0 matches'])
    expect(await words({ type: 'jsonpath', path: '$.status', expect: 'ok' }, { status: 'down' })).toEqual([false, '1 match of $.status: "down"', '1 match equal to "ok"'])
    expect(await words({ type: 'jsonpath', path: '$.x', target: 'body' }, { body: '{}' })).toEqual([false, '0 matches of $.x', 'at least 1 match'])
    expect(await words({ type: 'regex', pattern: '^OK', target: 'stdout' }, { status: 0, stdout: 'FAIL\n' })).toEqual([false, 'stdout "FAIL\\n"', 'text matching "^OK"'])
    expect(await words({ type: 'range', range: [0, 0.5], target: 'value' }, { value: '0.75' })).toEqual([false, 'value "0.75"', 'between 0 and 0.5'])
  })

  it('where Python would stop with an exception, not met and why', async () => {
    expect(await words([0, 10], 'five')).toEqual([false, `"five" ('<=' not supported between instances of 'int' and 'str')`, 'between 0 and 10'])
    expect(await words({ type: 'regex', pattern: 'a' }, 5)).toEqual([false, `5 (expected string or bytes-like object, got 'int')`, 'text matching "a"'])
    expect(await words({ type: 'regex', pattern: 'a', target: 'body' }, 'a string')).toEqual([false, `"a string" has no key "body" to read (the value is a str, not a mapping)`, 'text matching "a"'])
    expect(await words({ type: 'range', range: [0, 1] }, null)).toEqual([false, 'null (not a number: conversion from NoneType to Decimal is not supported)', 'between 0 and 1'])
    expect(await words({ type: 'range', range: [0, 1] }, 'NaN')).toEqual([false, '"NaN" (not a number: a NaN cannot be ordered (decimal.InvalidOperation))', 'between 0 and 1'])
    expect(await words({ type: 'range', range: [0, 1] }, 'high')).toEqual([false, '"high" (not a number)', 'between 0 and 1'])
    expect(await words({ type: 'regex', pattern: 'a*+' }, 'aaa')).toEqual([false, '"aaa" (the pattern cannot be used: possessive quantifiers are not supported by chaoscope at position 2)', 'text matching "a*+"'])
  })

  it('a float tolerance is never met, and says so', async () => {
    const [met, , expected] = await words(0.5, 0.5)
    expect(met).toBe(false)
    expect(expected).toMatch(/^0.5: a float tolerance is never met/)
  })

  it('substitutes a string tolerance first, then judges the value in its own type', async () => {
    const values: Values = { configuration: { ok: 200, range: [0, 10], word: 'up' }, secrets: {} }
    expect(await words('${ok}', { status: 200 }, values)).toEqual([true, 'status 200', '200'])
    expect(await words('${range}', 5, values)).toEqual([true, '5', 'between 0 and 10'])
    expect(await words('state: ${word}', 'state: up', values)).toEqual([true, '"state: up"', '"state: up"'])
    // a list is not substituted (chaostoolkit-lib substitutes only a str tolerance)
    expect(await words(['${word}'], 'up', values)).toEqual([false, '"up"', 'one of "${word}"'])
  })

  it('reads bytes values as Python does', async () => {
    const bytes = new TextEncoder().encode('{"a": [1, 2]}')
    expect(await words({ type: 'jsonpath', path: '$.a[*]', count: 2 }, bytes)).toEqual([true, '2 matches of $.a[*]: [1, 2]', '2 matches'])
    expect(await words('{"a": [1, 2]}', bytes)).toEqual([false, `b'{"a": [1, 2]}'`, '"{\\"a\\": [1, 2]}"'])
    expect(await words({ type: 'regex', pattern: 'a' }, bytes)).toEqual([false, `b'{"a": [1, 2]}' (cannot use a string pattern on a bytes-like object)`, 'text matching "a"'])
    expect(await words({ type: 'jsonpath', path: '$' }, new Uint8Array([0xff]))).toEqual([false, `b'\\xff' ('utf-8' codec can't decode the bytes)`, 'at least 1 match'])
  })

  it('cuts long values', async () => {
    const [, observed] = await words('short', 'x'.repeat(500))
    expect((observed as string).length).toBeLessThanOrEqual(80)
    expect(observed).toMatch(/…$/)
  })
})

describe('a probe tolerance', () => {
  const tolerance = { type: 'probe', name: 'is-fast', provider: { type: 'python', module: 'm', func: 'f', arguments: { limit: 3 } } }
  const ran = (output: unknown, status: 'succeeded' | 'failed' = 'succeeded', message?: string) => {
    const probes: ChaosToolkitActivityDefinition[] = []
    const run = async (p: ChaosToolkitActivityDefinition): Promise<ActivityRun> => {
      probes.push(p)
      return { activity: p, output, start: '', status, ...(message ? { chaoscope: { error: { code: 'ACTIVITY_FAILED', message } } } : {}) }
    }
    return { probes, run }
  }

  it('runs the probe with arguments.value set to the value, met when its output is true in Python terms', async () => {
    const { probes, run } = ran(1)
    const c = await checkTolerance(tolerance as ChaosToolkitTolerance, { took: 2 }, NONE, run)
    expect(c).toEqual({ met: true, observed: 'probe "is-fast" returned 1', expected: 'probe "is-fast" returns a true value' })
    expect(probes[0]!.provider.arguments).toEqual({ limit: 3, value: { took: 2 } })
    expect(tolerance.provider.arguments).toEqual({ limit: 3 }) // the experiment is not changed
  })

  it('is not met when the probe fails or returns something false', async () => {
    for (const output of [0, '', [], {}, null, false]) expect((await checkTolerance(tolerance as ChaosToolkitTolerance, 1, NONE, ran(output).run)).met).toBe(false)
    const failed = await checkTolerance(tolerance as ChaosToolkitTolerance, 1, NONE, ran(null, 'failed', 'timed out').run)
    expect(failed).toMatchObject({ met: false, observed: 'probe "is-fast" failed: timed out' })
  })

  it('gives arguments to a probe that has none', async () => {
    const { probes, run } = ran(true)
    await checkTolerance({ type: 'probe', name: 'p', provider: { type: 'python', module: 'm', func: 'f' } } as ChaosToolkitTolerance, 'v', NONE, run)
    expect(probes[0]!.provider.arguments).toEqual({ value: 'v' })
  })
})

describe('jsonpath2 paths used by real experiments', () => {
  const prometheus = { status: 'success', data: { resultType: 'vector', result: [{ metric: { job: 'api' }, value: [1700000000.5, '0.25'] }] } }
  const cases: [string, unknown, unknown[]][] = [
    ['$.error', { error: null }, [null]],
    ['$.status', prometheus, ['success']],
    ['$.data.result[0].value[1]', prometheus, ['0.25']],
    ['$..job', prometheus, ['api']],
    ['$[*].x', [{ x: 1 }, { y: 2 }, { x: 3 }], [1, 3]],
    ['$.items[*].status.phase', { items: [{ status: { phase: 'Running' } }, { status: { phase: 'Pending' } }] }, ['Running', 'Pending']],
    ['$.items[*][?(@.status.phase != "Running")].metadata.name', { items: [{ metadata: { name: 'a' }, status: { phase: 'Running' } }, { metadata: { name: 'b' }, status: { phase: 'Failed' } }] }, ['b']],
    ['$.spec.replicas', { spec: { replicas: 3 } }, [3]],
  ]
  it.each(cases)('%s', (path, doc, want) => {
    expect(matchJsonPath2(parseJsonPath2(path), doc)).toEqual(want)
  })

  it('says why a path is not jsonpath2', () => {
    expect(jsonPath2Problem('$.items[?(@.x == 1)]')).toMatch(/position 16, found "="/)
    expect(jsonPath2Problem("$['a']")).toMatch(/unexpected "'"/)
    expect(jsonPath2Problem('$.a.b[0]')).toBeUndefined()
  })
})
