/*
 * Turbine's batch path for node-rdkafka (compiled into node-rdkafka's addon by
 * scripts/patch-node-rdkafka.js; Apache-2.0, part of Turbine).
 *
 * Stock node-rdkafka hands the main thread one JavaScript object per consumed message (a value
 * Buffer, a key Buffer, a topic string, seven properties) and takes one produce() call per
 * output, converting each header object field by field. These two functions move whole batches:
 *
 *   turbineConsumeBatch(consumer, max, timeoutMs, cb(err, count, data, meta, topics))
 *     On a libuv thread: waits up to timeoutMs for the first message, then takes what is queued
 *     (timeout 0) up to max, and copies keys, values and headers into one buffer. The main thread
 *     receives that buffer and one Float64Array of CONSUME_FIELDS numbers per message.
 *
 *   turbineProduceBatch(producer, topics, parts, meta, count) -> [produced, errorCode, errorText]
 *     Produces `count` messages described by PRODUCE_FIELDS numbers each (a part index and
 *     offsets into that part, for key, value and headers), copying payloads (RK_MSG_COPY). The message's opaque is its token, tagged in its low bit,
 *     so the patched delivery-report dispatcher gathers their reports into one Float64Array per
 *     flush instead of one JavaScript call each (see the patch script).
 *
 * Headers in `data` are packed as: u32 name length, name bytes, i32 value length (-1: null),
 * value bytes, all little-endian.
 */
#include <cstring>
#include <string>
#include <vector>

#include "src/kafka-consumer.h"
#include "src/producer.h"

namespace TurbineBatch {

using NodeKafka::Baton;

// Per consumed message: topic index, partition, offset, timestamp, key start (-1: null), key
// length, value start (-1: null), value length, headers start, header count.
static const int CONSUME_FIELDS = 10;
// Per produced message: topic index, partition, key part (-1: null), key start, key length, value
// part (-1: null), value start, value length, headers part, headers start, header count, token.
// Starts are relative to their part, so keys and values are read where they already lie.
static const int PRODUCE_FIELDS = 12;

static void AppendU32(std::vector<char>* out, uint32_t v) {
  char b[4] = {static_cast<char>(v & 0xff), static_cast<char>((v >> 8) & 0xff),
               static_cast<char>((v >> 16) & 0xff), static_cast<char>((v >> 24) & 0xff)};
  out->insert(out->end(), b, b + 4);
}

static uint32_t ReadU32(const char* p) {
  const unsigned char* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint32_t>(u[0]) | (static_cast<uint32_t>(u[1]) << 8) |
         (static_cast<uint32_t>(u[2]) << 16) | (static_cast<uint32_t>(u[3]) << 24);
}

class ConsumeBatchWorker : public Nan::AsyncWorker {
 public:
  ConsumeBatchWorker(Nan::Callback* callback, NodeKafka::KafkaConsumer* consumer, size_t max, int timeout_ms)
      : Nan::AsyncWorker(callback, "turbine:ConsumeBatch"),
        m_consumer(consumer), m_max(max), m_timeout_ms(timeout_ms), m_error(RdKafka::ERR_NO_ERROR) {}

  void Execute() override {
    int timeout = m_timeout_ms;
    size_t count = 0;
    while (count < m_max) {
      Baton b = m_consumer->Consume(timeout);
      if (b.err() != RdKafka::ERR_NO_ERROR) {
        if (count == 0) m_error = b.err();
        break;
      }
      RdKafka::Message* message = b.data<RdKafka::Message*>();
      RdKafka::ErrorCode code = message->err();
      if (code == RdKafka::ERR__PARTITION_EOF) {
        delete message;
        timeout = 0;
        continue;
      }
      if (code != RdKafka::ERR_NO_ERROR) {
        // Timed out (nothing more queued) or an error; an error with messages in hand is
        // dropped here and reported by the next call, as node-rdkafka's consume(n) does.
        if (count == 0 && code != RdKafka::ERR__TIMED_OUT && code != RdKafka::ERR__TIMED_OUT_QUEUE) m_error = code;
        delete message;
        break;
      }
      Pack(message);
      delete message;
      count++;
      timeout = 0;
    }
  }

  void HandleOKCallback() override {
    Nan::HandleScope scope;
    if (m_error != RdKafka::ERR_NO_ERROR) {
      v8::Local<v8::Value> argv[1] = {NodeKafka::RdKafkaError(m_error)};
      callback->Call(1, argv, async_resource);
      return;
    }
    const size_t n = m_meta.size() / CONSUME_FIELDS;
    v8::Local<v8::Object> data;
    if (m_data.empty()) {
      data = Nan::NewBuffer(0).ToLocalChecked();
    } else {
      char* bytes = static_cast<char*>(malloc(m_data.size()));
      memcpy(bytes, m_data.data(), m_data.size());
      data = Nan::NewBuffer(bytes, m_data.size()).ToLocalChecked();
    }
    v8::Local<v8::ArrayBuffer> metaBuffer = v8::ArrayBuffer::New(v8::Isolate::GetCurrent(), m_meta.size() * sizeof(double));
    if (!m_meta.empty()) memcpy(metaBuffer->Data(), m_meta.data(), m_meta.size() * sizeof(double));
    v8::Local<v8::Float64Array> meta = v8::Float64Array::New(metaBuffer, 0, m_meta.size());
    v8::Local<v8::Array> topics = Nan::New<v8::Array>(static_cast<int>(m_topics.size()));
    for (size_t i = 0; i < m_topics.size(); i++) {
      Nan::Set(topics, static_cast<uint32_t>(i), Nan::New<v8::String>(m_topics[i]).ToLocalChecked());
    }
    v8::Local<v8::Value> argv[5] = {Nan::Null(), Nan::New<v8::Number>(static_cast<double>(n)), data, meta, topics};
    callback->Call(5, argv, async_resource);
  }

 private:
  // Start and length of bytes copied into m_data, or -1 and 0 for null (no key, a tombstone).
  void PackBytes(const char* bytes, size_t length) {
    if (!bytes) {
      m_meta.push_back(-1);
      m_meta.push_back(0);
      return;
    }
    m_meta.push_back(static_cast<double>(m_data.size()));
    m_meta.push_back(static_cast<double>(length));
    m_data.insert(m_data.end(), bytes, bytes + length);
  }

  void Pack(RdKafka::Message* message) {
    const std::string& topic = message->topic_name();
    size_t topic_index = 0;
    while (topic_index < m_topics.size() && m_topics[topic_index] != topic) topic_index++;
    if (topic_index == m_topics.size()) m_topics.push_back(topic);

    m_meta.push_back(static_cast<double>(topic_index));
    m_meta.push_back(static_cast<double>(message->partition()));
    m_meta.push_back(static_cast<double>(message->offset()));
    m_meta.push_back(static_cast<double>(message->timestamp().timestamp));
    PackBytes(static_cast<const char*>(message->key_pointer()), message->key_len());
    PackBytes(static_cast<const char*>(message->payload()), message->len());
    m_meta.push_back(static_cast<double>(m_data.size()));
    RdKafka::Headers* headers = message->headers();
    if (!headers || headers->size() == 0) {
      m_meta.push_back(0);
      return;
    }
    std::vector<RdKafka::Headers::Header> all = headers->get_all();
    m_meta.push_back(static_cast<double>(all.size()));
    for (const RdKafka::Headers::Header& h : all) {
      const std::string name = h.key();
      AppendU32(&m_data, static_cast<uint32_t>(name.size()));
      m_data.insert(m_data.end(), name.begin(), name.end());
      const char* v = static_cast<const char*>(h.value());
      if (v) {
        AppendU32(&m_data, static_cast<uint32_t>(h.value_size()));
        m_data.insert(m_data.end(), v, v + h.value_size());
      } else {
        AppendU32(&m_data, 0xffffffffu);
      }
    }
  }

  NodeKafka::KafkaConsumer* m_consumer;
  size_t m_max;
  int m_timeout_ms;
  RdKafka::ErrorCode m_error;
  std::vector<char> m_data;
  std::vector<double> m_meta;
  std::vector<std::string> m_topics;
};

NAN_METHOD(ConsumeBatch) {
  if (info.Length() < 4 || !info[0]->IsObject() || !info[3]->IsFunction()) {
    return Nan::ThrowTypeError("turbineConsumeBatch(consumer, max, timeoutMs, callback)");
  }
  v8::Local<v8::Object> handle = info[0].As<v8::Object>();
  NodeKafka::KafkaConsumer* consumer = Nan::ObjectWrap::Unwrap<NodeKafka::KafkaConsumer>(handle);
  if (!consumer->IsConnected()) return Nan::ThrowError("KafkaConsumer is not connected");
  const double max = Nan::To<double>(info[1]).FromMaybe(1);
  const int timeout = Nan::To<int32_t>(info[2]).FromMaybe(0);
  Nan::Callback* callback = new Nan::Callback(info[3].As<v8::Function>());
  ConsumeBatchWorker* worker = new ConsumeBatchWorker(callback, consumer, max < 1 ? 1 : static_cast<size_t>(max), timeout);
  worker->SaveToPersistent("consumer", handle);
  Nan::AsyncQueueWorker(worker);
}

// One part of a produce batch: the bytes of an ArrayBufferView or ArrayBuffer.
struct Part {
  const char* data;
  size_t length;
};

static bool ReadPart(v8::Local<v8::Value> value, Part* part) {
  if (value->IsArrayBufferView()) {
    v8::Local<v8::ArrayBufferView> view = value.As<v8::ArrayBufferView>();
    part->data = static_cast<const char*>(view->Buffer()->Data()) + view->ByteOffset();
    part->length = view->ByteLength();
    return true;
  }
  if (value->IsArrayBuffer()) {
    v8::Local<v8::ArrayBuffer> buffer = value.As<v8::ArrayBuffer>();
    part->data = static_cast<const char*>(buffer->Data());
    part->length = buffer->ByteLength();
    return true;
  }
  return false;
}

// Bytes [start, start + length) of part `index`, or NULL for index -1; false when out of range.
static bool Slice(const std::vector<Part>& parts, double index, double start, size_t length, const char** out) {
  if (index < 0) {
    *out = NULL;
    return true;
  }
  const size_t i = static_cast<size_t>(index);
  if (i >= parts.size() || start < 0 || static_cast<size_t>(start) + length > parts[i].length) return false;
  *out = parts[i].data + static_cast<size_t>(start);
  return true;
}

NAN_METHOD(ProduceBatch) {
  if (info.Length() < 5 || !info[0]->IsObject() || !info[1]->IsArray() || !info[2]->IsArray() ||
      !info[3]->IsFloat64Array()) {
    return Nan::ThrowTypeError("turbineProduceBatch(producer, topics, parts, meta, count)");
  }
  NodeKafka::Producer* producer = Nan::ObjectWrap::Unwrap<NodeKafka::Producer>(info[0].As<v8::Object>());
  v8::Local<v8::Array> topicArray = info[1].As<v8::Array>();
  std::vector<std::string> topics;
  for (uint32_t i = 0; i < topicArray->Length(); i++) {
    Nan::Utf8String name(Nan::Get(topicArray, i).ToLocalChecked());
    topics.push_back(std::string(*name, name.length()));
  }
  v8::Local<v8::Array> partArray = info[2].As<v8::Array>();
  std::vector<Part> parts(partArray->Length());
  for (uint32_t i = 0; i < partArray->Length(); i++) {
    if (!ReadPart(Nan::Get(partArray, i).ToLocalChecked(), &parts[i])) {
      return Nan::ThrowTypeError("parts must be ArrayBufferViews or ArrayBuffers");
    }
  }
  v8::Local<v8::Float64Array> metaArray = info[3].As<v8::Float64Array>();
  const double* meta = reinterpret_cast<const double*>(
      static_cast<char*>(metaArray->Buffer()->Data()) + metaArray->ByteOffset());
  const size_t metaLength = metaArray->Length();
  size_t count = static_cast<size_t>(Nan::To<double>(info[4]).FromMaybe(0));
  if (count * PRODUCE_FIELDS > metaLength) return Nan::ThrowRangeError("meta is shorter than count messages");

  // Check every message before producing any, so a bad description never leaves half a batch queued.
  for (size_t i = 0; i < count; i++) {
    const double* m = meta + i * PRODUCE_FIELDS;
    const char* unused;
    if (m[0] < 0 || static_cast<size_t>(m[0]) >= topics.size() ||
        !Slice(parts, m[2], m[3], static_cast<size_t>(m[4]), &unused) ||
        !Slice(parts, m[5], m[6], static_cast<size_t>(m[7]), &unused) ||
        (m[10] > 0 && !Slice(parts, m[8], m[9], 0, &unused))) {
      return Nan::ThrowRangeError("a message lies outside its parts");
    }
  }

  size_t produced = 0;
  RdKafka::ErrorCode error = RdKafka::ERR_NO_ERROR;
  for (; produced < count; produced++) {
    const double* m = meta + produced * PRODUCE_FIELDS;
    const char* key;
    const char* value;
    const size_t keyLength = static_cast<size_t>(m[4]);
    const size_t valueLength = static_cast<size_t>(m[7]);
    Slice(parts, m[2], m[3], keyLength, &key);
    Slice(parts, m[5], m[6], valueLength, &value);
    const size_t headerCount = static_cast<size_t>(m[10]);
    RdKafka::Headers* headers = NULL;
    if (headerCount > 0) {
      const Part& part = parts[static_cast<size_t>(m[8])];
      headers = RdKafka::Headers::create();
      size_t at = static_cast<size_t>(m[9]);
      for (size_t h = 0; h < headerCount; h++) {
        if (at + 4 > part.length) break;
        const uint32_t nameLength = ReadU32(part.data + at);
        at += 4;
        if (at + nameLength + 4 > part.length) break;
        std::string name(part.data + at, nameLength);
        at += nameLength;
        const uint32_t headerValueLength = ReadU32(part.data + at);
        at += 4;
        if (headerValueLength == 0xffffffffu) {
          headers->add(name, NULL, 0);
        } else {
          if (at + headerValueLength > part.length) break;
          headers->add(name, part.data + at, headerValueLength);
          at += headerValueLength;
        }
      }
    }
    const uint64_t token = static_cast<uint64_t>(m[11]);
    void* opaque = reinterpret_cast<void*>(static_cast<uintptr_t>((token << 1) | 1));
    Baton b = producer->Produce(const_cast<char*>(value), valueLength, topics[static_cast<size_t>(m[0])],
                                static_cast<int32_t>(m[1]), key, keyLength, 0, opaque, headers);
    if (b.err() != RdKafka::ERR_NO_ERROR) {
      // librdkafka takes the headers only when produce succeeds.
      delete headers;
      error = b.err();
      break;
    }
  }
  v8::Local<v8::Array> result = Nan::New<v8::Array>(3);
  Nan::Set(result, 0, Nan::New<v8::Number>(static_cast<double>(produced)));
  Nan::Set(result, 1, Nan::New<v8::Number>(static_cast<double>(error)));
  Nan::Set(result, 2, Nan::New<v8::String>(error == RdKafka::ERR_NO_ERROR ? "" : RdKafka::err2str(error)).ToLocalChecked());
  info.GetReturnValue().Set(result);
}

void Init(v8::Local<v8::Object> exports) {
  Nan::Set(exports, Nan::New("turbineConsumeBatch").ToLocalChecked(),
           Nan::GetFunction(Nan::New<v8::FunctionTemplate>(ConsumeBatch)).ToLocalChecked());
  Nan::Set(exports, Nan::New("turbineProduceBatch").ToLocalChecked(),
           Nan::GetFunction(Nan::New<v8::FunctionTemplate>(ProduceBatch)).ToLocalChecked());
  Nan::Set(exports, Nan::New("turbineBatchVersion").ToLocalChecked(), Nan::New<v8::Number>(2));
}

}  // namespace TurbineBatch
