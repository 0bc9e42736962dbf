// weft-otelcol send: reads one OTLP JSON document (traces, metrics or logs,
// told apart by its top-level key) from FILE or stdin and exports it over
// OTLP/gRPC, for tests that need a gRPC client without grpcurl.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// export sends doc on cc according to its top-level key.
func export(ctx context.Context, cc *grpc.ClientConn, doc []byte) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(doc, &keys); err != nil {
		return err
	}
	switch {
	case keys["resourceSpans"] != nil:
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(doc)
		if err != nil {
			return err
		}
		r, err := ptraceotlp.NewGRPCClient(cc).Export(ctx, ptraceotlp.NewExportRequestFromTraces(td))
		if err == nil && r.PartialSuccess().RejectedSpans() > 0 {
			err = fmt.Errorf("%d spans rejected: %s", r.PartialSuccess().RejectedSpans(),
				r.PartialSuccess().ErrorMessage())
		}
		return err
	case keys["resourceMetrics"] != nil:
		md, err := (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics(doc)
		if err != nil {
			return err
		}
		r, err := pmetricotlp.NewGRPCClient(cc).Export(ctx, pmetricotlp.NewExportRequestFromMetrics(md))
		if err == nil && r.PartialSuccess().RejectedDataPoints() > 0 {
			err = fmt.Errorf("%d data points rejected: %s", r.PartialSuccess().RejectedDataPoints(),
				r.PartialSuccess().ErrorMessage())
		}
		return err
	case keys["resourceLogs"] != nil:
		ld, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs(doc)
		if err != nil {
			return err
		}
		r, err := plogotlp.NewGRPCClient(cc).Export(ctx, plogotlp.NewExportRequestFromLogs(ld))
		if err == nil && r.PartialSuccess().RejectedLogRecords() > 0 {
			err = fmt.Errorf("%d log records rejected: %s", r.PartialSuccess().RejectedLogRecords(),
				r.PartialSuccess().ErrorMessage())
		}
		return err
	}
	return errors.New("no resourceSpans, resourceMetrics or resourceLogs at the top level")
}

func send(args []string) int {
	fs := flag.NewFlagSet("send", flag.ExitOnError)
	addr := fs.String("grpc", "127.0.0.1:4317", "collector's OTLP/gRPC address")
	timeout := fs.Duration("timeout", 10*time.Second, "give up after this long")
	fs.Parse(args)
	name := "stdin"
	var doc []byte
	var err error
	switch fs.NArg() {
	case 0:
		doc, err = io.ReadAll(os.Stdin)
	case 1:
		name = fs.Arg(0)
		doc, err = os.ReadFile(name)
	default:
		fmt.Fprintln(os.Stderr, "usage: weft-otelcol send [-grpc ADDR] [-timeout D] [FILE]")
		return 2
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "weft-otelcol send: %v\n", err)
		return 1
	}
	cc, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintf(os.Stderr, "weft-otelcol send: %s: %v\n", *addr, err)
		return 1
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := export(ctx, cc, doc); err != nil {
		fmt.Fprintf(os.Stderr, "weft-otelcol send: %s to %s: %v\n", name, *addr, err)
		return 1
	}
	return 0
}
