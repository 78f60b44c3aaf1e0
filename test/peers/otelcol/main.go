// Command otelcol is an OpenTelemetry Collector cut down to what chaoscope's tracing tests need: the OTLP receiver
// (HTTP only, on loopback) and the file exporter, which writes every batch of spans it receives as one line of
// OTLP JSON. A real collector decodes what chaoscope sends, so a test that reads the file checks the spans as any
// tracing backend would see them, not as our own receiver happens to parse them.
//
//	otelcol -port 4318 -out /tmp/spans.jsonl
//
// It prints "otelcol: listening on 127.0.0.1:PORT" once the pipeline has started and stops on SIGTERM or SIGINT.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

func main() {
	port := flag.Int("port", 4318, "loopback port of the OTLP/HTTP receiver")
	out := flag.String("out", "", "file the spans are appended to, one OTLP JSON document a line")
	flag.Parse()
	if *out == "" || *port <= 0 || *port > 65535 {
		fmt.Fprintln(os.Stderr, "usage: otelcol -port PORT -out FILE")
		os.Exit(2)
	}
	if err := run(*port, *out); err != nil {
		fmt.Fprintf(os.Stderr, "otelcol: %v\n", err)
		os.Exit(1)
	}
}

// config is the whole collector configuration. The collector's own telemetry is silenced (its metrics server would
// take a port that parallel tests may want) and flush_interval 0 writes each batch as soon as it arrives.
func config(port int, out string) string {
	return fmt.Sprintf(`receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
exporters:
  file:
    path: %s
    format: json
    flush_interval: 0s
service:
  telemetry:
    logs:
      level: warn
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [file]
`, port, strconv.Quote(out))
}

func factories() (otelcol.Factories, error) {
	receivers, err := otelcol.MakeFactoryMap[receiver.Factory](otlpreceiver.NewFactory())
	if err != nil {
		return otelcol.Factories{}, err
	}
	exporters, err := otelcol.MakeFactoryMap[exporter.Factory](fileexporter.NewFactory())
	if err != nil {
		return otelcol.Factories{}, err
	}
	return otelcol.Factories{Receivers: receivers, Exporters: exporters, Telemetry: otelconftelemetry.NewFactory()}, nil
}

func run(port int, out string) error {
	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{Command: "otelcol", Description: "chaoscope test collector", Version: "0.161.0"},
		Factories: factories,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{ResolverSettings: confmap.ResolverSettings{
			URIs:              []string{"yaml:" + config(port, out)},
			ProviderFactories: []confmap.ProviderFactory{yamlprovider.NewFactory()},
		}},
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// The collector reports Running once every component has started, the receiver's socket included.
		for col.GetState() != otelcol.StateRunning {
			if col.GetState() == otelcol.StateClosed {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		fmt.Printf("otelcol: listening on 127.0.0.1:%d\n", port)
	}()
	return col.Run(ctx)
}
