/**
 * @module verdict/providers/bridge: the Python side of the bridge that runs a Python activity chaoscope does
 * not implement, kept here as a string (run with `python3 -u -c`) so the build copies no asset.
 *
 * It reads one JSON request on stdin (bytes as `{"$bytes": base64}`) and writes one JSON answer on fd 3, so
 * whatever the user's code prints (stdout, stderr) cannot break the framing. Its directory (the run's) comes first on sys.path. Requests:
 *
 *   {"mode": "run", "module", "func", "arguments", "configuration", "secrets"}
 *       → {"value": …} or {"error": "Type: message"}   (as chaoslib's run_python_activity calls and fails)
 *   {"mode": "check", "activities": [{"module", "func", "arguments", "name", "type"}]}
 *       → {"results": [null | "why it cannot run", …]}   (validate_python_activity's checks and wording)
 *
 * A value is made JSON as chaostoolkit writes its journal (dates in ISO 8601, Decimal and UUID as strings), and
 * further: bytes as UTF-8 text, sets and tuples as lists, NaN and infinities as null, any other object as str().
 * The process ends with os._exit once the answer is written, so threads the code left behind do not hold it.
 */
export const BRIDGE_SOURCE = String.raw`
import base64
import collections.abc
import datetime
import decimal
import importlib
import inspect
import json
import math
import os
import sys
import traceback
import uuid


def revive(d):
    if len(d) == 1 and "$bytes" in d:
        return base64.b64decode(d["$bytes"])
    return d


def one_line(x):
    return traceback.format_exception_only(type(x), x)[0].strip()


def json_key(k):
    if isinstance(k, str):
        return k
    if k is True:
        return "true"
    if k is False:
        return "false"
    if k is None:
        return "null"
    if isinstance(k, float):
        return float.__repr__(k)
    if isinstance(k, int):
        return int.__repr__(k)
    return str(k)


def plain(o, seen):
    if o is None or isinstance(o, (bool, str, int)):
        return o
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, (datetime.date, datetime.datetime, datetime.time)):
        return o.isoformat()
    if isinstance(o, (decimal.Decimal, uuid.UUID)):
        return str(o)
    if isinstance(o, (bytes, bytearray, memoryview)):
        return bytes(o).decode("utf-8", "replace")
    container = isinstance(o, (collections.abc.Mapping, list, tuple, set, frozenset))
    if not container:
        return str(o)
    if id(o) in seen:
        raise ValueError("Circular reference detected")
    seen.add(id(o))
    try:
        if isinstance(o, collections.abc.Mapping):
            return {json_key(k): plain(v, seen) for k, v in o.items()}
        return [plain(v, seen) for v in o]
    finally:
        seen.discard(id(o))


def call(req):
    where = "%s.%s" % (req.get("module"), req.get("func"))
    try:
        mod = importlib.import_module(req["module"])
        func = getattr(mod, req["func"])
    except BaseException as x:
        return {"error": one_line(x)}
    arguments = dict(req.get("arguments") or {})
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        params = {}
    if req.get("secrets") is not None and "secrets" in params:
        arguments["secrets"] = dict(req["secrets"])
    if "configuration" in params:
        arguments["configuration"] = dict(req.get("configuration") or {})
    try:
        value = func(**arguments)
    except BaseException as x:
        return {"error": one_line(x)}
    try:
        return {"value": plain(value, set())}
    except BaseException as x:
        return {"error": "the result of %s cannot be written as JSON: %s" % (where, one_line(x))}


def check(a):
    mod_name = a.get("module")
    func = a.get("func")
    name = a.get("name")
    if not mod_name:
        return "a Python activity must have a module path"
    if not func:
        return "a Python activity must have a function name"
    try:
        mod = importlib.import_module(mod_name)
    except ImportError:
        return "could not find Python module '%s' in activity '%s'" % (mod_name, name)
    except BaseException as x:
        return "could not import Python module '%s' in activity '%s': %s" % (mod_name, name, one_line(x))
    found = None
    try:
        if func in dir(mod):
            candidate = getattr(mod, func)
            if inspect.isfunction(candidate) or inspect.isbuiltin(candidate):
                found = candidate
    except BaseException:
        found = None
    if found is None:
        return "The python module '%s' does not expose a function called '%s' in %s '%s'" % (
            mod_name, func, a.get("type"), name)
    arguments = a.get("arguments")
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        return "the arguments of activity '%s' must be a mapping" % name
    try:
        sig = inspect.signature(found)
    except (TypeError, ValueError):
        return None
    args = dict(arguments)
    if "secrets" in sig.parameters:
        args["secrets"] = None
    if "configuration" in sig.parameters:
        args["configuration"] = None
    try:
        sig.bind(**args)
    except TypeError as x:
        msg = str(x)
        if "missing" in msg:
            return "required argument %s is missing from activity '%s'" % (msg.rsplit(":", 1)[1].strip(), name)
        if "unexpected" in msg:
            return "argument %s is not part of the function signature in activity '%s'" % (
                msg.rsplit(" ", 1)[1].strip(), name)
        return msg
    return None


def main():
    try:
        os.set_inheritable(3, False)
    except OSError:
        pass
    out = os.fdopen(3, "w", encoding="utf-8")
    req = json.loads(sys.stdin.buffer.read().decode("utf-8"), object_hook=revive)
    sys.stdin.close()
    sys.stdin = open(os.devnull)
    while "" in sys.path:
        sys.path.remove("")
    sys.path.insert(0, os.getcwd())
    if req.get("mode") == "check":
        answer = {"results": [check(a) for a in req.get("activities", [])]}
    else:
        answer = call(req)
    out.write(json.dumps(answer))
    out.close()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    os._exit(0)


main()
`
