// The "weftjson" exporter: appends every batch of traces, metrics, logs or
// profiles to one file, one line of OTLP JSON (pdata's JSON marshalers) per
// batch. No queue: the batch is on disk before the receiver answers its
// client. Profiles through the x-exporter API (xexporter, xexporterhelper),
// which the collector wires only with the service.profilesSupport gate.
package main

import (
	"context"
	"errors"
	"os"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exporterhelper/xexporterhelper"
	"go.opentelemetry.io/collector/exporter/xexporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pprofile"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

type jsonFileConfig struct {
	Path string `mapstructure:"path"`
}

func (c *jsonFileConfig) Validate() error {
	if c.Path == "" {
		return errors.New("path is empty")
	}
	return nil
}

// jsonFile is one exporter instance (one per signal); each opens the file
// for appending, and a line is one write, so the instances do not interleave.
type jsonFile struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

func (j *jsonFile) start(context.Context, component.Host) error {
	f, err := os.OpenFile(j.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	j.f = f
	return nil
}

func (j *jsonFile) shutdown(context.Context) error {
	if j.f == nil {
		return nil
	}
	return j.f.Close()
}

func (j *jsonFile) write(b []byte, err error) error {
	if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	_, err = j.f.Write(append(b, '\n'))
	return err
}

func (j *jsonFile) traces(_ context.Context, td ptrace.Traces) error {
	return j.write((&ptrace.JSONMarshaler{}).MarshalTraces(td))
}

func (j *jsonFile) metrics(_ context.Context, md pmetric.Metrics) error {
	return j.write((&pmetric.JSONMarshaler{}).MarshalMetrics(md))
}

func (j *jsonFile) logs(_ context.Context, ld plog.Logs) error {
	return j.write((&plog.JSONMarshaler{}).MarshalLogs(ld))
}

func (j *jsonFile) profiles(_ context.Context, pd pprofile.Profiles) error {
	return j.write((&pprofile.JSONMarshaler{}).MarshalProfiles(pd))
}

func newJSONFile(cfg component.Config) *jsonFile {
	return &jsonFile{path: cfg.(*jsonFileConfig).Path}
}

func (j *jsonFile) options() []exporterhelper.Option {
	return []exporterhelper.Option{
		exporterhelper.WithStart(j.start),
		exporterhelper.WithShutdown(j.shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
	}
}

func newJSONFileFactory() xexporter.Factory {
	return xexporter.NewFactory(
		component.MustNewType("weftjson"),
		func() component.Config { return &jsonFileConfig{} },
		xexporter.WithTraces(func(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
			j := newJSONFile(cfg)
			return exporterhelper.NewTraces(ctx, set, cfg, j.traces, j.options()...)
		}, component.StabilityLevelDevelopment),
		xexporter.WithMetrics(func(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
			j := newJSONFile(cfg)
			return exporterhelper.NewMetrics(ctx, set, cfg, j.metrics, j.options()...)
		}, component.StabilityLevelDevelopment),
		xexporter.WithLogs(func(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
			j := newJSONFile(cfg)
			return exporterhelper.NewLogs(ctx, set, cfg, j.logs, j.options()...)
		}, component.StabilityLevelDevelopment),
		xexporter.WithProfiles(func(ctx context.Context, set exporter.Settings, cfg component.Config) (xexporter.Profiles, error) {
			j := newJSONFile(cfg)
			return xexporterhelper.NewProfiles(ctx, set, cfg, j.profiles, j.options()...)
		}, component.StabilityLevelDevelopment),
	)
}
