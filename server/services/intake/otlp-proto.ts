// The OTLP trace messages Rewind decodes and answers with, compiled once by protobufjs. Transcribed from the upstream
// opentelemetry-proto files (Apache-2.0; opentelemetry/proto/{common,resource,trace}/v1 and collector/trace/v1, all
// Stable), keeping only the messages and fields that OTLP/HTTP traces need; every field number is the upstream one,
// and fields left out (ids, links, dropped counts, entity refs, flags…) are skipped by the decoder as unknown fields.
// google.rpc.Status is the error body the OTLP/HTTP spec asks for. The official exporter's requests decode with it
// (test/http/otlp.test.ts), which checks the transcription against its own encoder.
import "server-only";
import { parse, Root, type Type } from "protobufjs";

/** One entry per upstream file (protobufjs parses one package at a time); enums are read as their int32 values. */
const OTLP_TRACES_PROTO = [
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
  `package google.rpc;
  message Status {
    int32 code = 1;
    string message = 2;
  }`,
];

let compiled: { request: Type; response: Type; status: Type } | undefined;

/** The message types, compiled on first use (once per process). */
export function otlpTraceTypes(): { request: Type; response: Type; status: Type } {
  if (!compiled) {
    const root = new Root();
    for (const file of OTLP_TRACES_PROTO) parse(`syntax = "proto3";\n${file}`, root);
    root.resolveAll();
    compiled = {
      request: root.lookupType("opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest"),
      response: root.lookupType("opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse"),
      status: root.lookupType("google.rpc.Status"),
    };
  }
  return compiled;
}
