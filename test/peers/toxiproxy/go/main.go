// Command toxiproxy-scenario drives a Toxiproxy API with Toxiproxy's own Go client (github.com/Shopify/toxiproxy/v2/client)
// and prints, as one JSON document, what every call returned and what the toxics did to real traffic through a
// proxy in front of an echo server. test/e2e/toxiproxy-clients.test.ts runs it against the real Toxiproxy and
// against `chaoscope proxy` and compares the two documents.
//
// Usage: toxiproxy-scenario -api http://127.0.0.1:8474 -upstream 127.0.0.1:PORT
// The upstream must echo every byte it receives, and close the connection once it has echoed the three bytes "END"
// (the payloads here are lower-case, so nothing else ends a connection early). Toxiproxy does not pass a half-close
// on, so the ends of streams are told in-band.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
)

// step is one call and what came back: a value, or the error the client returned.
type step struct {
	Step  string      `json:"step"`
	Value interface{} `json:"value,omitempty"`
	Error *apiErr     `json:"error,omitempty"`
}

type apiErr struct {
	Message string `json:"message"`
	Status  int    `json:"status"`
}

var steps []step
var effects = map[string]interface{}{}

func record(name string, value interface{}, err error) {
	s := step{Step: name, Value: value}
	if err != nil {
		var ae *toxiproxy.ApiError
		if errors.As(err, &ae) {
			s.Error = &apiErr{Message: ae.Message, Status: ae.Status}
		} else {
			s.Error = &apiErr{Message: err.Error(), Status: -1}
		}
		s.Value = nil
	}
	steps = append(steps, s)
}

// view is a proxy as the test compares it: what the client parsed (its listen port is normalised by the test).
func view(p *toxiproxy.Proxy) map[string]interface{} {
	if p == nil {
		return nil
	}
	toxics := p.ActiveToxics
	if toxics == nil {
		toxics = toxiproxy.Toxics{}
	}
	return map[string]interface{}{"name": p.Name, "listen": p.Listen, "upstream": p.Upstream, "enabled": p.Enabled, "toxics": toxics}
}

func main() {
	api := flag.String("api", "http://127.0.0.1:8474", "the Toxiproxy API")
	upstream := flag.String("upstream", "", "an echo server, host:port")
	flag.Parse()
	if *upstream == "" {
		fmt.Fprintln(os.Stderr, "toxiproxy-scenario: -upstream is required")
		os.Exit(2)
	}
	c := toxiproxy.NewClient(*api)

	v, err := c.Version()
	record("version", strings.TrimSpace(string(v)), err)
	record("reset", nil, c.ResetState())

	p, err := c.CreateProxy("go_main", "127.0.0.1:0", *upstream)
	record("create", view(p), err)
	if err != nil {
		finish()
		return
	}
	record("create: listen port chosen", p.Listen != "127.0.0.1:0" && strings.HasPrefix(p.Listen, "127.0.0.1:"), nil)
	_, err = c.CreateProxy("go_main", "127.0.0.1:0", *upstream)
	record("create: exists", nil, err)
	_, err = c.CreateProxy("", "127.0.0.1:0", *upstream)
	record("create: no name", nil, err)

	all, err := c.Proxies()
	names := []string{}
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	record("list", names, err)
	got, err := c.Proxy("go_main")
	record("get", view(got), err)
	_, err = c.Proxy("go_missing")
	record("get: missing", nil, err)

	// update: the upstream elsewhere, then back, through Save (POST /proxies/{name})
	got.Upstream = "127.0.0.1:1"
	err = got.Save()
	record("update upstream", view(got), err)
	got.Upstream = *upstream
	err = got.Save()
	record("update upstream back", view(got), err)
	err = got.Disable()
	record("disable", view(got), err)
	again, err := c.Proxy("go_main")
	record("get disabled", view(again), err)
	err = got.Enable()
	record("enable", view(got), err)

	// each toxic type, with the client's defaults: no name (<type>_<stream>), no stream (downstream)
	adds := []struct {
		name, typ, stream string
		toxicity          float32
		attrs             toxiproxy.Attributes
	}{
		{"", "latency", "", 1, toxiproxy.Attributes{"latency": 100, "jitter": 5}},
		{"", "bandwidth", "upstream", 1, toxiproxy.Attributes{"rate": 1000}},
		{"my_slow_close", "slow_close", "", 0.5, toxiproxy.Attributes{"delay": 10}},
		{"", "timeout", "upstream", 1, toxiproxy.Attributes{"timeout": 1000}},
		{"", "reset_peer", "", 0, toxiproxy.Attributes{"timeout": 2000}},
		{"", "slicer", "", 1, toxiproxy.Attributes{"average_size": 64, "size_variation": 32, "delay": 10}},
		{"", "limit_data", "upstream", 1, toxiproxy.Attributes{"bytes": 4096}},
	}
	for _, a := range adds {
		t, err := got.AddToxic(a.name, a.typ, a.stream, a.toxicity, a.attrs)
		record("add "+a.typ, t, err)
	}
	ts, err := got.Toxics()
	record("toxics", ts, err)
	_, err = got.AddToxic("", "latency", "", 1, toxiproxy.Attributes{"latency": 1})
	record("add: exists", nil, err)
	_, err = got.AddToxic("", "no_such_type", "", 1, nil)
	record("add: bad type", nil, err)
	_, err = got.AddToxic("odd_stream", "latency", "sideways", 1, nil)
	record("add: bad stream", nil, err)
	_, err = c.AddToxic(&toxiproxy.ToxicOptions{ProxyName: "go_missing", ToxicType: "latency", Toxicity: 1})
	record("add: missing proxy", nil, err)

	t, err := got.UpdateToxic("latency_downstream", 0.25, toxiproxy.Attributes{"latency": 250})
	record("update toxic", t, err)
	t, err = got.UpdateToxic("latency_downstream", -1, toxiproxy.Attributes{"jitter": 7})
	record("update toxic: attributes only", t, err)
	_, err = got.UpdateToxic("no_such_toxic", 1, toxiproxy.Attributes{})
	record("update toxic: missing", nil, err)
	t, err = c.UpdateToxic(&toxiproxy.ToxicOptions{ProxyName: "go_main", ToxicName: "slicer_downstream", Toxicity: 1, Attributes: toxiproxy.Attributes{"average_size": 8}})
	record("update toxic (client)", t, err)

	record("remove toxic", nil, got.RemoveToxic("timeout_upstream"))
	record("remove toxic: again", nil, got.RemoveToxic("timeout_upstream"))
	record("remove toxic (client)", nil, c.RemoveToxic(&toxiproxy.ToxicOptions{ProxyName: "go_main", ToxicName: "my_slow_close"}))
	ts, err = got.Toxics()
	record("toxics after removes", ts, err)

	// populate: one unchanged (kept with its toxics), one new, then a list whose second entry is bad
	pop, err := c.Populate([]toxiproxy.Proxy{
		{Name: "go_main", Listen: got.Listen, Upstream: *upstream, Enabled: true},
		{Name: "go_second", Listen: "127.0.0.1:0", Upstream: *upstream, Enabled: true},
	})
	popNames := []interface{}{}
	for _, q := range pop {
		popNames = append(popNames, view(q))
	}
	record("populate", popNames, err)
	_, err = c.Populate([]toxiproxy.Proxy{
		{Name: "go_third", Listen: "127.0.0.1:0", Upstream: *upstream, Enabled: true},
		{Name: "go_fourth", Listen: "127.0.0.1:0", Upstream: "", Enabled: true},
	})
	record("populate: bad entry", nil, err)
	all, err = c.Proxies()
	names = []string{}
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	record("list after populate", names, err)

	second, _ := c.Proxy("go_second")
	if second != nil {
		_ = second.Disable()
	}
	record("reset all", nil, c.ResetState())
	after, err := c.Proxy("go_main")
	record("get after reset", view(after), err)
	after2, err := c.Proxy("go_second")
	record("second after reset", view(after2), err)

	measure(c, *upstream)

	for _, n := range []string{"go_main", "go_second", "go_third", "go_fx"} {
		if q, err := c.Proxy(n); err == nil {
			record("delete "+n, nil, q.Delete())
		}
	}
	gone := c.NewProxy()
	gone.Name = "go_main"
	record("delete: missing", nil, gone.Delete())
	finish()
}

func finish() {
	out, _ := json.MarshalIndent(map[string]interface{}{"steps": steps, "effects": effects}, "", "  ")
	fmt.Println(string(out))
}

// ---- traffic through a proxy: what each toxic does, measured here ------------------------------------------

const ioLimit = 5 * time.Second

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// roundTrip sends a short message and waits for its echo; the median of n tries, in ms.
func roundTrip(addr string, n int) (float64, error) {
	conn, err := net.DialTimeout("tcp", addr, ioLimit)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	times := []float64{}
	buf := make([]byte, 4)
	for i := 0; i < n; i++ {
		_ = conn.SetDeadline(time.Now().Add(ioLimit))
		start := time.Now()
		if _, err := conn.Write([]byte("ping")); err != nil {
			return 0, err
		}
		if _, err := io.ReadFull(conn, buf); err != nil {
			return 0, err
		}
		times = append(times, ms(time.Since(start)))
	}
	sort.Float64s(times)
	return times[len(times)/2], nil
}

// exchange sends payload and reads until the connection ends or holds past wait: the bytes read, the reads made,
// how it ended ("eof", "reset", "held", "refused", or another error) and after how long.
func exchange(addr string, payload []byte, wait time.Duration) map[string]interface{} {
	start := time.Now()
	conn, err := net.DialTimeout("tcp", addr, ioLimit)
	if err != nil {
		return map[string]interface{}{"end": kind(err)}
	}
	defer conn.Close()
	if len(payload) > 0 {
		// written in the background: a toxic may stop reading, and the bytes echoed are read meanwhile
		go func() { _, _ = conn.Write(payload) }()
	}
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	total, reads := 0, 0
	buf := make([]byte, 64*1024)
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			total += n
			reads++
		}
		if err != nil {
			return map[string]interface{}{"bytes": total, "reads": reads, "end": kind(err), "ms": ms(time.Since(start))}
		}
	}
}

func kind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF):
		return "eof"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.As(err, &ne) && ne.Timeout():
		return "held"
	}
	return err.Error()
}

func measure(c *toxiproxy.Client, upstream string) {
	p, err := c.CreateProxy("go_fx", "127.0.0.1:0", upstream)
	if err != nil {
		effects["error"] = err.Error()
		return
	}
	with := func(typ, stream string, attrs toxiproxy.Attributes, run func() interface{}) interface{} {
		if _, err := p.AddToxic("", typ, stream, 1, attrs); err != nil {
			return map[string]interface{}{"error": err.Error()}
		}
		defer func() {
			name := typ + "_downstream"
			if stream != "" {
				name = typ + "_" + stream
			}
			_ = p.RemoveToxic(name)
		}()
		return run()
	}

	base, err := roundTrip(p.Listen, 9)
	effects["baseline_rtt_ms"] = base
	if err != nil {
		effects["baseline_error"] = kind(err)
	}
	effects["latency_rtt_ms"] = with("latency", "", toxiproxy.Attributes{"latency": 100}, func() interface{} {
		rtt, err := roundTrip(p.Listen, 5)
		if err != nil {
			return kind(err)
		}
		return rtt
	})
	effects["latency_upstream_rtt_ms"] = with("latency", "upstream", toxiproxy.Attributes{"latency": 50}, func() interface{} {
		rtt, err := roundTrip(p.Listen, 5)
		if err != nil {
			return kind(err)
		}
		return rtt
	})

	// toxicity 0: the toxic is there and applies to no connection
	effects["latency_toxicity_zero_rtt_ms"] = func() interface{} {
		if _, err := p.AddToxic("", "latency", "", 0, toxiproxy.Attributes{"latency": 100}); err != nil {
			return err.Error()
		}
		defer func() { _ = p.RemoveToxic("latency_downstream") }()
		rtt, err := roundTrip(p.Listen, 5)
		if err != nil {
			return kind(err)
		}
		return rtt
	}()
	// a toxic added while a connection is open applies to it, and its removal too
	effects["latency_on_open_connection_ms"] = func() interface{} {
		conn, err := net.DialTimeout("tcp", p.Listen, ioLimit)
		if err != nil {
			return kind(err)
		}
		defer conn.Close()
		once := func() float64 {
			_ = conn.SetDeadline(time.Now().Add(ioLimit))
			start := time.Now()
			buf := make([]byte, 4)
			if _, err := conn.Write([]byte("ping")); err != nil {
				return -1
			}
			if _, err := io.ReadFull(conn, buf); err != nil {
				return -1
			}
			return ms(time.Since(start))
		}
		before := once()
		if _, err := p.AddToxic("", "latency", "", 1, toxiproxy.Attributes{"latency": 100}); err != nil {
			return err.Error()
		}
		during := once()
		_ = p.RemoveToxic("latency_downstream")
		after := once()
		return []float64{before, during, after}
	}()
	// disabling a proxy drops the connections it holds
	effects["disable_drops_open"] = func() interface{} {
		conn, err := net.DialTimeout("tcp", p.Listen, ioLimit)
		if err != nil {
			return kind(err)
		}
		defer conn.Close()
		_, _ = conn.Write([]byte("ping"))
		buf := make([]byte, 64)
		_ = conn.SetReadDeadline(time.Now().Add(ioLimit))
		if _, err := io.ReadFull(conn, buf[:4]); err != nil {
			return "no echo: " + kind(err)
		}
		_ = p.Disable()
		defer func() { _ = p.Enable() }()
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, err = conn.Read(buf)
		return kind(err)
	}()

	_ = p.Disable()
	effects["disabled"] = exchange(p.Listen, []byte("x"), time.Second)
	_ = p.Enable()
	effects["enabled_again"] = exchange(p.Listen, []byte("helloEND"), 2*time.Second)

	payload := make([]byte, 20000)
	for i := range payload {
		payload[i] = byte('a' + i%26)
	}
	ended := func(b []byte) []byte { return append(append([]byte{}, b...), "END"...) }
	effects["limit_data"] = with("limit_data", "", toxiproxy.Attributes{"bytes": 1500}, func() interface{} {
		return exchange(p.Listen, payload, 3*time.Second)
	})
	effects["timeout"] = with("timeout", "", toxiproxy.Attributes{"timeout": 300}, func() interface{} {
		return exchange(p.Listen, []byte("hello"), 3*time.Second)
	})
	effects["timeout_zero_holds"] = with("timeout", "", toxiproxy.Attributes{"timeout": 0}, func() interface{} {
		return exchange(p.Listen, []byte("hello"), 800*time.Millisecond)
	})
	effects["reset_peer"] = with("reset_peer", "", toxiproxy.Attributes{"timeout": 0}, func() interface{} {
		return exchange(p.Listen, []byte("hello"), 3*time.Second)
	})
	effects["reset_peer_after"] = with("reset_peer", "", toxiproxy.Attributes{"timeout": 300}, func() interface{} {
		return exchange(p.Listen, []byte("hello"), 3*time.Second)
	})
	// 20 003 bytes at 40 KB/s: about 500 ms
	effects["bandwidth"] = with("bandwidth", "", toxiproxy.Attributes{"rate": 40}, func() interface{} {
		return exchange(p.Listen, ended(payload), 5*time.Second)
	})
	effects["no_toxic"] = exchange(p.Listen, ended(payload), 5*time.Second)
	effects["slow_close"] = with("slow_close", "", toxiproxy.Attributes{"delay": 300}, func() interface{} {
		return exchange(p.Listen, []byte("helloEND"), 3*time.Second)
	})
	// 2 000 bytes in slices of about 100 bytes, 5 ms apart: about 20 reads, 100 ms
	effects["slicer"] = with("slicer", "", toxiproxy.Attributes{"average_size": 100, "size_variation": 20, "delay": 5000}, func() interface{} {
		return exchange(p.Listen, ended(payload[:2000]), 5*time.Second)
	})
}
