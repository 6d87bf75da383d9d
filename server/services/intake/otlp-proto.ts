// The OTLP trace and metrics messages Rewind decodes and answers with, compiled once by protobufjs. Transcribed from
// the upstream opentelemetry-proto files (Apache-2.0, Copyright The OpenTelemetry Authors;
// opentelemetry/proto/{common,resource,trace,metrics}/v1 and collector/{trace,metrics}/v1, all Stable; metrics as of
// v1.11.0), keeping only the messages and fields that OTLP/HTTP traces and metrics need; every field number is the
// upstream one, and fields left out (ids, links, dropped counts, entity refs, exemplars…) are skipped by the decoder
// as unknown fields. google.rpc.Status is the error body the OTLP/HTTP spec asks for. The official exporters'
// requests decode with it (test/http/otlp.test.ts, otlp-metrics.test.ts), which checks the transcription against
// their own encoders.
import "server-only";
import { parse, Root, type Type } from "protobufjs";

/** One entry per upstream file (protobufjs parses one package at a time); enums are read as their int32 values. */
const OTLP_PROTO = [
  `package opentelemetry.proto.common.v1;
  message AnyValue {
    oneof value {
      string string_value = 1;
      bool bool_value = 2;
      int64 int_value = 3;
      double double_value = 4;
      ArrayValue array_value = 5;
      KeyValueList kvlist_value = 6;
      bytes bytes_value = 7;
    }
  }
  message ArrayValue { repeated AnyValue values = 1; }
  message KeyValueList { repeated KeyValue values = 1; }
  message KeyValue {
    string key = 1;
    AnyValue value = 2;
  }
  message InstrumentationScope {
    string name = 1;
    string version = 2;
    repeated KeyValue attributes = 3;
  }`,
  `package opentelemetry.proto.resource.v1;
  message Resource { repeated opentelemetry.proto.common.v1.KeyValue attributes = 1; }`,
  `package opentelemetry.proto.trace.v1;
  message ResourceSpans {
    opentelemetry.proto.resource.v1.Resource resource = 1;
    repeated ScopeSpans scope_spans = 2;
    string schema_url = 3;
  }
  message ScopeSpans {
    opentelemetry.proto.common.v1.InstrumentationScope scope = 1;
    repeated Span spans = 2;
    string schema_url = 3;
  }
  message Span {
    string name = 5;
    int32 kind = 6;
    fixed64 start_time_unix_nano = 7;
    fixed64 end_time_unix_nano = 8;
    repeated opentelemetry.proto.common.v1.KeyValue attributes = 9;
    message Event {
      fixed64 time_unix_nano = 1;
      string name = 2;
      repeated opentelemetry.proto.common.v1.KeyValue attributes = 3;
    }
    repeated Event events = 11;
    Status status = 15;
  }
  message Status {
    string message = 2;
    int32 code = 3;
  }`,
  `package opentelemetry.proto.collector.trace.v1;
  message ExportTraceServiceRequest { repeated opentelemetry.proto.trace.v1.ResourceSpans resource_spans = 1; }
  message ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }
  message ExportTracePartialSuccess {
    int64 rejected_spans = 1;
    string error_message = 2;
  }`,
  `package opentelemetry.proto.metrics.v1;
  message ResourceMetrics {
    opentelemetry.proto.resource.v1.Resource resource = 1;
    repeated ScopeMetrics scope_metrics = 2;
    string schema_url = 3;
  }
  message ScopeMetrics {
    opentelemetry.proto.common.v1.InstrumentationScope scope = 1;
    repeated Metric metrics = 2;
    string schema_url = 3;
  }
  message Metric {
    string name = 1;
    string description = 2;
    string unit = 3;
    oneof data {
      Gauge gauge = 5;
      Sum sum = 7;
      Histogram histogram = 9;
      ExponentialHistogram exponential_histogram = 10;
      Summary summary = 11;
    }
  }
  message Gauge { repeated NumberDataPoint data_points = 1; }
  message Sum {
    repeated NumberDataPoint data_points = 1;
    int32 aggregation_temporality = 2;
    bool is_monotonic = 3;
  }
  message Histogram {
    repeated HistogramDataPoint data_points = 1;
    int32 aggregation_temporality = 2;
  }
  message ExponentialHistogram {
    repeated ExponentialHistogramDataPoint data_points = 1;
    int32 aggregation_temporality = 2;
  }
  message Summary { repeated SummaryDataPoint data_points = 1; }
  message NumberDataPoint {
    repeated opentelemetry.proto.common.v1.KeyValue attributes = 7;
    fixed64 start_time_unix_nano = 2;
    fixed64 time_unix_nano = 3;
    oneof value {
      double as_double = 4;
      sfixed64 as_int = 6;
    }
    uint32 flags = 8;
  }
  message HistogramDataPoint {
    repeated opentelemetry.proto.common.v1.KeyValue attributes = 9;
    fixed64 start_time_unix_nano = 2;
    fixed64 time_unix_nano = 3;
    fixed64 count = 4;
    optional double sum = 5;
    repeated fixed64 bucket_counts = 6;
    repeated double explicit_bounds = 7;
    uint32 flags = 10;
    optional double min = 11;
    optional double max = 12;
  }
  message ExponentialHistogramDataPoint {
    repeated opentelemetry.proto.common.v1.KeyValue attributes = 1;
    fixed64 start_time_unix_nano = 2;
    fixed64 time_unix_nano = 3;
    fixed64 count = 4;
    optional double sum = 5;
    sint32 scale = 6;
    fixed64 zero_count = 7;
    Buckets positive = 8;
    Buckets negative = 9;
    message Buckets {
      sint32 offset = 1;
      repeated uint64 bucket_counts = 2;
    }
    uint32 flags = 10;
    optional double min = 12;
    optional double max = 13;
    double zero_threshold = 14;
  }
  message SummaryDataPoint {
    repeated opentelemetry.proto.common.v1.KeyValue attributes = 7;
    fixed64 start_time_unix_nano = 2;
    fixed64 time_unix_nano = 3;
    fixed64 count = 4;
    double sum = 5;
    uint32 flags = 8;
  }`,
  `package opentelemetry.proto.collector.metrics.v1;
  message ExportMetricsServiceRequest { repeated opentelemetry.proto.metrics.v1.ResourceMetrics resource_metrics = 1; }
  message ExportMetricsServiceResponse { ExportMetricsPartialSuccess partial_success = 1; }
  message ExportMetricsPartialSuccess {
    int64 rejected_data_points = 1;
    string error_message = 2;
  }`,
  `package google.rpc;
  message Status {
    int32 code = 1;
    string message = 2;
  }`,
];

/**
 * For decoding trace requests only (server/services/intake/otlp-traces.ts): ExportTraceServiceRequest down to the
 * fields the span reader uses, with the upstream numbers, so the decoder skips the rest (span names, event and scope
 * attributes, ids) as unknown fields. Declared in proto2, whose `optional` fields keep presence without a oneof: the
 * wire is the same, and a member of AnyValue's oneof the sender set is the message's own property, even when it holds
 * its default (`false`, `""`, 0), as the upstream oneof keeps it; but protobufjs keeps a oneof by running a setter on
 * every value it decodes, which deletes the other members (a measurable share of a 1,000-span request). AnyValue's
 * array, map and bytes members are left out: read as null anyway. One difference: of an AnyValue with two members set
 * (invalid), the reader takes the first of string, bool, int, double rather than the last on the wire.
 */
const TRACE_READ_PROTO = `syntax = "proto2";
  package rewind.otlp.read;
  message AnyValue {
    optional string string_value = 1;
    optional bool bool_value = 2;
    optional int64 int_value = 3;
    optional double double_value = 4;
  }
  message KeyValue {
    optional string key = 1;
    optional AnyValue value = 2;
  }
  message Resource { repeated KeyValue attributes = 1; }
  message Span {
    optional fixed64 start_time_unix_nano = 7;
    optional fixed64 end_time_unix_nano = 8;
    repeated KeyValue attributes = 9;
    message Event {
      optional fixed64 time_unix_nano = 1;
      optional string name = 2;
    }
    repeated Event events = 11;
    optional Status status = 15;
  }
  message Status { optional int32 code = 3; }
  message ScopeSpans { repeated Span spans = 2; }
  message ResourceSpans {
    optional Resource resource = 1;
    repeated ScopeSpans scope_spans = 2;
  }
  message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }`;

let root: Root | undefined;

/** All the files, compiled on first use (once per process). */
function compiled(): Root {
  if (!root) {
    root = new Root();
    for (const file of OTLP_PROTO) parse(`syntax = "proto3";\n${file}`, root);
    parse(TRACE_READ_PROTO, root);
    root.resolveAll();
  }
  return root;
}

export interface OtlpMessageTypes {
  request: Type;
  response: Type;
  status: Type;
}

let traceTypes: OtlpMessageTypes | undefined;
let metricTypes: OtlpMessageTypes | undefined;

let traceReadType: Type | undefined;

/** ExportTraceServiceRequest as the span reader decodes it (`TRACE_READ_PROTO`). */
export function otlpTraceReadType(): Type {
  traceReadType ??= compiled().lookupType("rewind.otlp.read.ExportTraceServiceRequest");
  return traceReadType;
}

/** ExportTraceServiceRequest and its response. */
export function otlpTraceTypes(): OtlpMessageTypes {
  traceTypes ??= {
    request: compiled().lookupType("opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest"),
    response: compiled().lookupType("opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse"),
    status: compiled().lookupType("google.rpc.Status"),
  };
  return traceTypes;
}

/** ExportMetricsServiceRequest and its response. */
export function otlpMetricTypes(): OtlpMessageTypes {
  metricTypes ??= {
    request: compiled().lookupType("opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest"),
    response: compiled().lookupType("opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse"),
    status: compiled().lookupType("google.rpc.Status"),
  };
  return metricTypes;
}
