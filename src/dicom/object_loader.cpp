#include "dicom/object_loader.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcdatset.h"
#include "dcmtk/dcmdata/dcerror.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcistrma.h"
#include "dcmtk/dcmdata/dcmetinf.h"
#include "dcmtk/dcmdata/dcstack.h"
#include "dicom/initialize.h"
#include "dicom/instance_parser.h"

namespace pacsport::dicom {

void DcmFileFormatDeleter::operator()(DcmFileFormat* file) const { delete file; }

namespace {

// DCMTK parses nested sequences recursively and has no depth limit of its own; a
// few kilobytes of crafted nesting would exhaust any thread's stack. The stream
// below refuses to deliver more bytes once the parser's stack has grown by more
// than this budget since LoadObject started. Measured with DCMTK 3.6.7 on Debian 12:
// a nesting level costs about 1.5 KiB of the reader's stack, so the parser stops at
// about 350 levels, far beyond kMaxSequenceDepth, which is enforced exactly on the
// parsed tree afterwards. Callers need this budget plus some margin of free stack.
constexpr uintptr_t kParserStackBudget = 512 * 1024;

// The bytes of one buffer, delivered to DCMTK's stream machinery.
class MemoryProducer : public DcmProducer {
 public:
  explicit MemoryProducer(std::string_view bytes) : bytes_(bytes) {}

  OFBool good() const override { return status_.good(); }
  OFCondition status() const override { return status_; }
  OFBool eos() override { return status_.bad() || position_ == bytes_.size(); }
  offile_off_t avail() override {
    return status_.good() ? static_cast<offile_off_t>(bytes_.size() - position_) : 0;
  }
  offile_off_t read(void* buffer, offile_off_t length) override {
    const size_t count = Advance(length);
    std::memcpy(buffer, bytes_.data() + position_ - count, count);
    return static_cast<offile_off_t>(count);
  }
  offile_off_t skip(offile_off_t length) override {
    return static_cast<offile_off_t>(Advance(length));
  }
  void putback(offile_off_t count) override {
    if (status_.bad() || count <= 0) return;
    if (static_cast<uint64_t>(count) > position_) {
      status_ = EC_PutbackFailed;
    } else {
      position_ -= static_cast<size_t>(count);
    }
  }

 private:
  size_t Advance(offile_off_t requested) {
    if (status_.bad() || requested <= 0) return 0;
    const size_t count = std::min(static_cast<uint64_t>(requested),
                                  static_cast<uint64_t>(bytes_.size() - position_));
    position_ += count;
    return count;
  }

  std::string_view bytes_;
  size_t position_ = 0;
  OFCondition status_ = EC_Normal;
};

// An input stream over a buffer that can hand out factories for delayed loading:
// DCMTK then skips values longer than DCM_MaxReadLength while parsing and reads
// them from the buffer only when asked. Without it DCMTK allocates each value at
// its declared length before finding out that the data is not there, so a few
// hostile bytes could make it allocate 4 GiB.
class MemoryInputStream : public DcmInputStream {
 public:
  MemoryInputStream(std::string_view bytes, size_t offset)
      : DcmInputStream(&producer_), producer_(bytes), bytes_(bytes) {
    skip(static_cast<offile_off_t>(offset));
  }

  // Values behind a compression filter (deflate) have no position in the buffer.
  DcmInputStreamFactory* newFactory() const override;

 private:
  MemoryProducer producer_;
  std::string_view bytes_;
};

class MemoryStreamFactory : public DcmInputStreamFactory {
 public:
  MemoryStreamFactory(std::string_view bytes, size_t offset) : bytes_(bytes), offset_(offset) {}

  DcmInputStream* create() const override { return new MemoryInputStream(bytes_, offset_); }
  DcmInputStreamFactory* clone() const override { return new MemoryStreamFactory(*this); }
  // DCMTK only knows file-based factories; like them, this one reopens the data.
  DcmInputStreamFactoryType ident() const override { return DFT_DcmInputFileStreamFactory; }

 private:
  std::string_view bytes_;
  size_t offset_;
};

DcmInputStreamFactory* MemoryInputStream::newFactory() const {
  if (currentProducer() != &producer_) return nullptr;
  return new MemoryStreamFactory(bytes_, static_cast<size_t>(tell()));
}

// The stream the parser reads. It reports a bad status, and so stops DCMTK, once
// the caller's stack has grown past kParserStackBudget: DCMTK asks the stream for
// status, end of stream and data at every nesting level, so the check runs before
// each deeper recursion can go on (also behind the deflate filter, which sits
// between these methods and the producer). Once DCMTK installs its deflate filter,
// tell() counts inflated bytes; a read or skip that would take them past the limit
// stops the stream before the filter inflates anything for it, so a bomb costs at
// most the limit (DCMTK asks for a whole value at once, after allocating it: such
// an allocation is address space, never touched).
class GuardedStream : public MemoryInputStream {
 public:
  GuardedStream(std::string_view bytes, uintptr_t stack_base, uint64_t max_inflated_bytes)
      : MemoryInputStream(bytes, 0), stack_base_(stack_base), max_inflated_(max_inflated_bytes) {}

  bool stack_exhausted() const { return stack_exhausted_; }
  bool inflation_exceeded() const { return inflation_exceeded_; }

  OFBool good() const override { return !Stopped() && MemoryInputStream::good(); }
  OFCondition status() const override {
    return Stopped() ? EC_InvalidStream : MemoryInputStream::status();
  }
  OFBool eos() override { return !WithinBudget(0) || MemoryInputStream::eos(); }
  offile_off_t avail() override { return WithinBudget(0) ? MemoryInputStream::avail() : 0; }
  offile_off_t read(void* buffer, offile_off_t length) override {
    return WithinBudget(length) ? MemoryInputStream::read(buffer, length) : 0;
  }
  offile_off_t skip(offile_off_t length) override {
    return WithinBudget(length) ? MemoryInputStream::skip(length) : 0;
  }
  OFCondition installCompressionFilter(E_StreamCompression type) override {
    inflated_from_ = tell();
    return MemoryInputStream::installCompressionFilter(type);
  }

 private:
  bool Stopped() const { return stack_exhausted_ || inflation_exceeded_; }

  // False (for good) once the stack is exhausted or `requested` more bytes would
  // inflate the dataset beyond the limit.
  bool WithinBudget(offile_off_t requested) {
    const auto here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
    const uintptr_t used = here < stack_base_ ? stack_base_ - here : here - stack_base_;
    if (used > kParserStackBudget) stack_exhausted_ = true;
    if (inflated_from_ >= 0 && requested > 0 &&
        static_cast<uint64_t>(tell() - inflated_from_) + static_cast<uint64_t>(requested) >
            max_inflated_) {
      inflation_exceeded_ = true;
    }
    return !Stopped();
  }

  const uintptr_t stack_base_;
  const uint64_t max_inflated_;
  offile_off_t inflated_from_ = -1;  // tell() when the deflate filter came in; -1: none
  bool stack_exhausted_ = false;
  bool inflation_exceeded_ = false;
};

// DCMTK takes a stream that ends exactly where the value of an element, item or
// sequence should begin as a normal end of data, and leaves that object unread
// (still in its initial state) although its header announced a value. A leaf left
// "in work" is only DCMTK's bookkeeping after an odd value length (it reports a
// really short value as an error), except encapsulated pixel data (a leaf of
// undefined length holding fragments); a container left in work is unfinished.
bool ReadToItsEnd(DcmObject& object) {
  switch (object.transferState()) {
    case ERW_ready:
      return true;
    case ERW_init:
      return object.getLengthField() == 0;
    default:
      return object.isLeaf() && object.getLengthField() != DCM_UndefinedLength;
  }
}

// What a walk over the parsed tree finds, before DCMTK forgets its read state.
struct TreeShape {
  int max_depth = 0;     // deepest sequence nesting
  bool complete = true;  // every element, item and sequence was read to its end
};

// Walks the tree iteratively, before transferEnd() resets the read states.
// DcmStack holds the path from the dataset: element, item, element, item, ... so an
// item or an element inside it at nesting level n sits at stack depth 2n + 1 or
// 2n + 2 (the first entry is the dataset itself).
TreeShape InspectTree(DcmDataset& dataset) {
  TreeShape shape;
  DcmStack stack;
  while (dataset.nextObject(stack, OFTrue).good()) {
    shape.max_depth = std::max(shape.max_depth, static_cast<int>((stack.card() - 1) / 2));
    if (!ReadToItsEnd(*stack.top())) shape.complete = false;
  }
  return shape;
}

}  // namespace

Result<DicomObject> LoadObject(std::string_view bytes, const ParseLimits& limits) {
  Initialize();
  if (bytes.empty()) return InvalidInput("empty input");

  DicomObject file(new DcmFileFormat());
  GuardedStream stream(bytes, reinterpret_cast<uintptr_t>(__builtin_frame_address(0)),
                       limits.max_inflated_bytes);
  file->transferInit();
  const OFCondition condition = file->read(stream);
  DcmDataset* dataset = file->getDataset();
  const TreeShape shape =
      stream.stack_exhausted() || stream.inflation_exceeded() ? TreeShape{} : InspectTree(*dataset);
  file->transferEnd();

  if (stream.inflation_exceeded()) {
    return Error(ErrorCode::kPayloadTooLarge, "the deflated DICOM dataset inflates beyond " +
                                                  std::to_string(limits.max_inflated_bytes >> 20) +
                                                  " MiB");
  }
  if (stream.stack_exhausted() || shape.max_depth > kMaxSequenceDepth) {
    return InvalidInput("sequences nested too deep");
  }
  const bool has_meta_header = file->getMetaInfo()->card() > 0;
  if (condition.bad() || !shape.complete) {
    if (!has_meta_header) return InvalidInput("not a DICOM object");
    return InvalidInput(stream.eos() ? "truncated DICOM object" : "corrupt DICOM object");
  }
  if (!stream.eos()) return InvalidInput("data after the end of the DICOM object");
  if (dataset->card() == 0) return InvalidInput("not a DICOM object");
  return file;
}

}  // namespace pacsport::dicom
