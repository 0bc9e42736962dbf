// weft-otelcol: the OpenTelemetry Collector the tests export to (issue 21).
// Debian's collector sources (tools/fetch-otelcol.sh) built in GOPATH mode
// (tools/build-otelcol.sh) with this main: the OTLP receiver on gRPC and
// HTTP feeds traces, metrics, logs and profiles pipelines to the "weftjson"
// exporter (jsonfile.go), which appends each batch it receives to one file
// as one line of OTLP JSON ({"resourceSpans":...}, {"resourceMetrics":...},
// {"resourceLogs":...} or {"resourceProfiles":...}). Profiles
// (v1development: POST /v1development/profiles, gRPC ProfilesService) need
// the collector's service.profilesSupport feature gate, which main enables;
// -no-profiles leaves it off and the pipeline out, as a stock collector is
// (HTTP 404, gRPC UNIMPLEMENTED). It writes before the receiver answers, so a client
// that got its reply finds its data in the file. With -debug FILE the
// collector's debug exporter (detailed verbosity) writes the same batches
// as text to FILE too.
//
//	weft-otelcol -o FILE [-grpc ADDR] [-http ADDR] [-debug FILE] [-no-profiles]
//	weft-otelcol -print-config -o FILE ...   (the collector config, then exit)
//	weft-otelcol send -grpc ADDR [FILE]      (send.go: OTLP JSON over gRPC)
//
// The collector logs to stderr; "Everything is ready" there means both
// receivers listen. SIGINT or SIGTERM shuts it down cleanly.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/featuregate"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

// version is the Debian package's, set by tools/build-otelcol.sh (-X).
var version = "unknown"

type options struct {
	grpc, http string
	out, debug string
	noProfiles bool
}

// config returns the collector configuration as JSON, which the yaml:
// config provider reads as YAML.
func config(o options) (string, error) {
	exporters := map[string]any{"weftjson": map[string]any{"path": o.out}}
	names := []string{"weftjson"}
	if o.debug != "" {
		exporters["debug"] = map[string]any{
			"verbosity":           "detailed",
			"use_internal_logger": false,
			"output_paths":        []string{o.debug},
			// written when a batch arrives, not from a queue later
			"sending_queue": map[string]any{"enabled": false},
		}
		names = append(names, "debug")
	}
	pipeline := map[string]any{"receivers": []string{"otlp"}, "exporters": names}
	pipelines := map[string]any{"traces": pipeline, "metrics": pipeline, "logs": pipeline}
	if !o.noProfiles {
		pipelines["profiles"] = pipeline
	}
	conf := map[string]any{
		"receivers": map[string]any{"otlp": map[string]any{"protocols": map[string]any{
			"grpc": map[string]any{"endpoint": o.grpc},
			"http": map[string]any{"endpoint": o.http},
		}}},
		"exporters": exporters,
		"service": map[string]any{
			// no internal metrics server (it would take port 8888)
			"telemetry": map[string]any{"metrics": map[string]any{"level": "none"}},
			"pipelines": pipelines,
		},
	}
	b, err := json.MarshalIndent(conf, "", "  ")
	return string(b), err
}

func factories() (otelcol.Factories, error) {
	var f otelcol.Factories
	var err error
	if f.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](otlpreceiver.NewFactory()); err != nil {
		return f, err
	}
	if f.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](
		newJSONFileFactory(), debugexporter.NewFactory()); err != nil {
		return f, err
	}
	f.Telemetry = otelconftelemetry.NewFactory()
	return f, nil
}

func usage() {
	fmt.Fprintf(os.Stderr, `usage: weft-otelcol -o FILE [-grpc ADDR] [-http ADDR] [-debug FILE] [-no-profiles] [-print-config]
       weft-otelcol send -grpc ADDR [FILE]

An OpenTelemetry Collector %s (OTLP receiver on gRPC and HTTP) that appends
every batch of traces, metrics, logs and profiles it receives to FILE, one line
of OTLP JSON each. send reads OTLP JSON (a file or stdin) and exports it over gRPC.

examples:
  weft-otelcol -o build/otel.jsonl -grpc 127.0.0.1:4317 -http 127.0.0.1:4318
  curl -H 'Content-Type: application/json' -d @trace.json http://127.0.0.1:4318/v1/traces
  weft-otelcol send -grpc 127.0.0.1:4317 trace.json

`, version)
	flag.PrintDefaults()
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "send" {
		os.Exit(send(os.Args[2:]))
	}
	var o options
	flag.StringVar(&o.grpc, "grpc", "127.0.0.1:4317", "OTLP/gRPC listen address")
	flag.StringVar(&o.http, "http", "127.0.0.1:4318", "OTLP/HTTP listen address")
	flag.StringVar(&o.out, "o", "", "file the received batches are written to, one OTLP JSON line each (truncated at start)")
	flag.StringVar(&o.debug, "debug", "", "also write the debug exporter's detailed text to this file")
	flag.BoolVar(&o.noProfiles, "no-profiles", false, "leave the service.profilesSupport feature gate off: no profiles pipeline, as a stock collector")
	printConfig := flag.Bool("print-config", false, "print the collector configuration and exit")
	flag.Usage = usage
	flag.Parse()
	if o.out == "" || flag.NArg() > 0 {
		usage()
		os.Exit(2)
	}
	conf, err := config(o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "weft-otelcol: config: %v\n", err)
		os.Exit(1)
	}
	if *printConfig {
		fmt.Println(conf)
		return
	}
	if !o.noProfiles {
		if err := featuregate.GlobalRegistry().Set("service.profilesSupport", true); err != nil {
			fmt.Fprintf(os.Stderr, "weft-otelcol: %v\n", err)
			os.Exit(1)
		}
	}
	if err := os.WriteFile(o.out, nil, 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "weft-otelcol: %v\n", err)
		os.Exit(1)
	}
	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{
			Command:     "weft-otelcol",
			Description: "weft's test OpenTelemetry Collector",
			Version:     version,
		},
		Factories: factories,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				URIs:              []string{"yaml:" + conf},
				ProviderFactories: []confmap.ProviderFactory{yamlprovider.NewFactory()},
			},
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "weft-otelcol: %v\n", err)
		os.Exit(1)
	}
	if err := col.Run(context.Background()); err != nil {
		fmt.Fprintf(os.Stderr, "weft-otelcol: %v\n", err)
		os.Exit(1)
	}
}
