"""Drives a Toxiproxy API with Toxiproxy's Python client (toxiproxy-python 0.1.1) and prints, as one JSON document,
what every call returned and what the toxics did to real traffic through a proxy in front of an echo server.
test/e2e/toxiproxy-clients.test.ts runs it against the real Toxiproxy and against `chaoscope proxy` and compares
the two documents.

Usage: python scenario.py --api http://127.0.0.1:8474 --upstream 127.0.0.1:PORT
The upstream echoes every byte it receives and closes the connection once it has echoed "END" (the payloads are
lower-case). The client has no call to update a proxy or a toxic, nor one for POST /populate: those steps go
through its own APIConsumer (the HTTP layer every call of it uses), as a user of it would.
"""
import argparse
import errno
import json
import socket
import statistics
import threading
import time
from urllib.parse import urlparse

from toxiproxy import Toxiproxy
from toxiproxy.api import APIConsumer
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists

steps = []
effects = {}


def record(name, call):
    """Runs call(); records its value or the client's exception (its class and the body the server sent)."""
    entry = {"step": name}
    try:
        value = call()
        if value is not None:
            entry["value"] = value
    except (ProxyExists, NotFound, InvalidToxic) as e:
        body = e.args[0] if e.args else b""
        try:
            body = json.loads(body)
        except (TypeError, ValueError):
            body = body.decode() if isinstance(body, bytes) else str(body)
        entry["error"] = {"exception": type(e).__name__, "body": body}
    steps.append(entry)
    return entry


def view(p):
    return None if p is None else {"name": p.name, "listen": p.listen, "upstream": p.upstream, "enabled": p.enabled}


def toxic_view(t):
    return {"name": t.name, "type": t.type, "stream": t.stream, "toxicity": t.toxicity, "attributes": t.attributes}


def toxics_of(p):
    return [toxic_view(t) for t in sorted(p.toxics().values(), key=lambda t: t.name)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--api", default="http://127.0.0.1:8474")
    ap.add_argument("--upstream", required=True)
    args = ap.parse_args()
    url = urlparse(args.api)
    up = args.upstream
    server = Toxiproxy()
    server.update_api_consumer(url.hostname, url.port)

    record("running", lambda: server.running())
    record("version", lambda: json.loads(server.version()))
    record("reset", lambda: server.reset())

    main_proxy = server.create(upstream=up, name="py_main", listen="127.0.0.1:0")
    steps.append({"step": "create", "value": view(main_proxy)})
    record("create: listen port chosen", lambda: main_proxy.listen != "127.0.0.1:0" and main_proxy.listen.startswith("127.0.0.1:"))
    # the client itself refuses a name it lists; the server's 409 is reached through its consumer
    record("create: exists (client)", lambda: server.create(upstream=up, name="py_main"))
    record("create: exists", lambda: APIConsumer.post("/proxies", json={"name": "py_main", "listen": "127.0.0.1:0", "upstream": up}).json())
    record("create: no upstream", lambda: APIConsumer.post("/proxies", json={"name": "py_nothing", "listen": "127.0.0.1:0"}).json())
    record("create: bad json", lambda: APIConsumer.post("/proxies", data="{nope").json())
    record("list", lambda: sorted(server.proxies().keys()))
    record("get", lambda: view(server.get_proxy("py_main")))
    record("get: missing (client)", lambda: view(server.get_proxy("py_missing")))
    record("get: missing", lambda: APIConsumer.get("/proxies/py_missing").json())

    record("update upstream", lambda: APIConsumer.post("/proxies/py_main", json={"upstream": "127.0.0.1:1"}).json())
    record("update upstream back", lambda: APIConsumer.post("/proxies/py_main", json={"upstream": up}).json())
    record("update: missing", lambda: APIConsumer.post("/proxies/py_missing", json={"enabled": False}).json())
    record("disable", lambda: main_proxy.disable())
    record("get disabled", lambda: view(server.get_proxy("py_main")))
    with main_proxy.down():
        record("down: enabled", lambda: server.get_proxy("py_main").enabled)
    record("after down: enabled", lambda: server.get_proxy("py_main").enabled)

    # each toxic type, with the client's defaults: name <type>_<stream>, stream downstream, toxicity 1.0
    record("add latency", lambda: main_proxy.add_toxic(type="latency", attributes={"latency": 100, "jitter": 5}))
    record("add bandwidth", lambda: main_proxy.add_toxic(type="bandwidth", stream="upstream", attributes={"rate": 1000}))
    record("add slow_close", lambda: main_proxy.add_toxic(name="my_slow_close", type="slow_close", toxicity=0.5, attributes={"delay": 10}))
    record("add timeout", lambda: main_proxy.add_toxic(type="timeout", stream="upstream", attributes={"timeout": 1000}))
    record("add reset_peer", lambda: main_proxy.add_toxic(type="reset_peer", toxicity=0, attributes={"timeout": 2000}))
    record("add slicer", lambda: main_proxy.add_toxic(type="slicer", attributes={"average_size": 64, "size_variation": 32, "delay": 10}))
    record("add limit_data", lambda: main_proxy.add_toxic(type="limit_data", stream="upstream", attributes={"bytes": 4096}))
    record("toxics", lambda: toxics_of(main_proxy))
    record("get toxic", lambda: toxic_view(main_proxy.get_toxic("latency_downstream")))
    record("get toxic: missing (client)", lambda: main_proxy.get_toxic("nope"))
    record("add: exists", lambda: main_proxy.add_toxic(type="latency", attributes={"latency": 1}))
    record("add: bad type", lambda: main_proxy.add_toxic(type="no_such_type"))
    record("add: bad stream", lambda: main_proxy.add_toxic(name="odd_stream", type="latency", stream="sideways"))
    record("update toxic", lambda: APIConsumer.post("/proxies/py_main/toxics/latency_downstream", json={"toxicity": 0.25, "attributes": {"latency": 250}}).json())
    record("update toxic: missing", lambda: APIConsumer.post("/proxies/py_main/toxics/nope", json={"attributes": {}}).json())
    record("remove toxic", lambda: main_proxy.destroy_toxic("timeout_upstream"))
    record("remove toxic: again", lambda: main_proxy.destroy_toxic("timeout_upstream"))
    record("toxics after removes", lambda: toxics_of(main_proxy))

    # the client's populate (list, compare, delete and create, on its side), then the server's
    record("populate (client)", lambda: [view(p) for p in server.populate([
        {"name": "py_main", "listen": main_proxy.listen, "upstream": up},
        {"name": "py_second", "listen": "127.0.0.1:0", "upstream": up},
    ])])
    record("populate", lambda: APIConsumer.post("/populate", json=[
        {"name": "py_main", "listen": main_proxy.listen, "upstream": up},
        {"name": "py_third", "listen": "127.0.0.1:0", "upstream": up, "enabled": False},
    ]).json())
    record("populate: bad entry", lambda: APIConsumer.post("/populate", json=[
        {"name": "py_fourth", "listen": "127.0.0.1:0", "upstream": up},
        {"name": "py_fifth", "listen": "127.0.0.1:0"},
    ]).json())
    record("list after populate", lambda: sorted(server.proxies().keys()))
    record("toxics kept by populate", lambda: [t["name"] for t in toxics_of(main_proxy)])

    record("reset all", lambda: server.reset())
    record("get after reset", lambda: view(server.get_proxy("py_main")))
    record("toxics after reset", lambda: toxics_of(main_proxy))
    record("third after reset", lambda: view(server.get_proxy("py_third")))

    measure(server, up)

    for name in ["py_main", "py_second", "py_third", "py_fourth", "py_fx"]:
        p = server.get_proxy(name)
        if p is not None:
            record("delete " + name, lambda: server.destroy(p))
    record("delete: missing", lambda: APIConsumer.delete("/proxies/py_main").json())
    record("destroy_all", lambda: server.destroy_all())
    record("list at end", lambda: sorted(server.proxies().keys()))
    print(json.dumps({"steps": steps, "effects": effects}, indent=2, sort_keys=True))


# ---- traffic through a proxy: what each toxic does, measured here --------------------------------------------

IO_LIMIT = 5.0


def addr_of(listen):
    host, port = listen.rsplit(":", 1)
    return host, int(port)


def round_trip(listen, n):
    """Sends a short message and waits for its echo; the median of n tries, in ms."""
    with socket.create_connection(addr_of(listen), timeout=IO_LIMIT) as s:
        times = []
        for _ in range(n):
            start = time.perf_counter()
            s.sendall(b"ping")
            got = b""
            while len(got) < 4:
                chunk = s.recv(4 - len(got))
                if not chunk:
                    raise ConnectionError("closed")
                got += chunk
            times.append((time.perf_counter() - start) * 1000)
        return round(statistics.median(times), 3)


def kind(e):
    if isinstance(e, ConnectionRefusedError):
        return "refused"
    if isinstance(e, ConnectionResetError) or getattr(e, "errno", None) == errno.ECONNRESET:
        return "reset"
    if isinstance(e, socket.timeout):
        return "held"
    return repr(e)


def exchange(listen, payload, wait):
    """Sends payload and reads until the connection ends or holds past wait: the bytes read, the reads made, how it
    ended ("eof", "reset", "held", "refused", or another error) and after how long."""
    start = time.perf_counter()
    try:
        s = socket.create_connection(addr_of(listen), timeout=IO_LIMIT)
    except OSError as e:
        return {"end": kind(e)}
    total, reads = 0, 0
    try:
        # written in the background: a toxic may stop reading, and the bytes echoed are read meanwhile
        def send():
            try:
                s.sendall(payload)
            except OSError:
                pass

        threading.Thread(target=send, daemon=True).start()
        deadline = start + wait
        while True:
            s.settimeout(max(0.001, deadline - time.perf_counter()))
            try:
                chunk = s.recv(65536)
            except OSError as e:
                end = kind(e)
                break
            if not chunk:
                end = "eof"
                break
            total += len(chunk)
            reads += 1
        return {"bytes": total, "reads": reads, "end": end, "ms": round((time.perf_counter() - start) * 1000, 3)}
    finally:
        s.close()


def measure(server, up):
    p = server.create(upstream=up, name="py_fx", listen="127.0.0.1:0")

    def with_toxic(typ, attributes, run, stream="downstream"):
        try:
            p.add_toxic(type=typ, stream=stream, attributes=attributes)
        except InvalidToxic as e:
            return {"error": e.args[0].decode() if isinstance(e.args[0], bytes) else str(e.args[0])}
        try:
            return run()
        finally:
            p.destroy_toxic("%s_%s" % (typ, stream))

    def rtt(n):
        try:
            return round_trip(p.listen, n)
        except OSError as e:
            return kind(e)

    effects["baseline_rtt_ms"] = rtt(9)
    effects["latency_rtt_ms"] = with_toxic("latency", {"latency": 100}, lambda: rtt(5))
    effects["latency_upstream_rtt_ms"] = with_toxic("latency", {"latency": 50}, lambda: rtt(5), stream="upstream")
    # toxicity 0: the toxic is there and applies to no connection
    p.add_toxic(type="latency", toxicity=0, attributes={"latency": 100})
    effects["latency_toxicity_zero_rtt_ms"] = rtt(5)
    p.destroy_toxic("latency_downstream")

    # a toxic added while a connection is open applies to it, and its removal too
    def on_open():
        with socket.create_connection(addr_of(p.listen), timeout=IO_LIMIT) as s:
            def once():
                start = time.perf_counter()
                s.sendall(b"ping")
                got = b""
                while len(got) < 4:
                    chunk = s.recv(4 - len(got))
                    if not chunk:
                        return -1
                    got += chunk
                return round((time.perf_counter() - start) * 1000, 3)

            before = once()
            p.add_toxic(type="latency", attributes={"latency": 100})
            during = once()
            p.destroy_toxic("latency_downstream")
            return [before, during, once()]

    effects["latency_on_open_connection_ms"] = on_open()

    # disabling a proxy drops the connections it holds
    def drops():
        with socket.create_connection(addr_of(p.listen), timeout=IO_LIMIT) as s:
            s.sendall(b"ping")
            if s.recv(4) != b"ping":
                return "no echo"
            p.disable()
            try:
                s.settimeout(2.0)
                return "eof" if s.recv(64) == b"" else "data"
            except OSError as e:
                return kind(e)
            finally:
                p.enable()

    effects["disable_drops_open"] = drops()

    p.disable()
    effects["disabled"] = exchange(p.listen, b"x", 1.0)
    p.enable()
    effects["enabled_again"] = exchange(p.listen, b"helloEND", 2.0)
    payload = bytes(ord("a") + i % 26 for i in range(20000))
    effects["limit_data"] = with_toxic("limit_data", {"bytes": 1500}, lambda: exchange(p.listen, payload, 3.0))
    effects["timeout"] = with_toxic("timeout", {"timeout": 300}, lambda: exchange(p.listen, b"hello", 3.0))
    effects["timeout_zero_holds"] = with_toxic("timeout", {"timeout": 0}, lambda: exchange(p.listen, b"hello", 0.8))
    effects["reset_peer"] = with_toxic("reset_peer", {"timeout": 0}, lambda: exchange(p.listen, b"hello", 3.0))
    effects["reset_peer_after"] = with_toxic("reset_peer", {"timeout": 300}, lambda: exchange(p.listen, b"hello", 3.0))
    # 20 003 bytes at 40 KB/s: about 500 ms
    effects["bandwidth"] = with_toxic("bandwidth", {"rate": 40}, lambda: exchange(p.listen, payload + b"END", 5.0))
    effects["no_toxic"] = exchange(p.listen, payload + b"END", 5.0)
    effects["slow_close"] = with_toxic("slow_close", {"delay": 300}, lambda: exchange(p.listen, b"helloEND", 3.0))
    # 2 003 bytes in slices of about 100 bytes, 5 ms apart: about 20 reads, 100 ms
    effects["slicer"] = with_toxic("slicer", {"average_size": 100, "size_variation": 20, "delay": 5000},
                                   lambda: exchange(p.listen, payload[:2000] + b"END", 5.0))


if __name__ == "__main__":
    main()
