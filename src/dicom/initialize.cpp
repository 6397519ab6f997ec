#include "dicom/initialize.h"

#include "core/error.h"
#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcdict.h"
#include "dcmtk/dcmdata/dcobject.h"
#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmdata/dcvr.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpls/djdecode.h"
#include "dcmtk/oflog/oflog.h"

namespace pacsport::dicom {

namespace {

bool InitializeOnce() {
  // DCMTK logs element values in its warnings ("larger than remaining bytes" and
  // the like); patient data must never reach a log, so its loggers stay off.
  dcmtk::log4cplus::Logger::getRoot().setLogLevel(dcmtk::log4cplus::OFF_LOG_LEVEL);

  // Leniency that pydicom shows too: elements stored as UN whose tag the dictionary
  // knows are read with the dictionary's VR (gdcmconv writes such files), and an
  // explicit VR dataset that is really implicit VR is still read.
  dcmEnableUnknownVRConversion.set(OFTrue);
  dcmAcceptUnexpectedImplicitEncoding.set(OFTrue);

  DJDecoderRegistration::registerCodecs();
  DJLSDecoderRegistration::registerCodecs();
  DcmRLEDecoderRegistration::registerCodecs();
  return dcmDataDict.isDictionaryLoaded();
}

}  // namespace

void Initialize() {
  static const bool dictionary_loaded = InitializeOnce();  // thread-safe static init
  if (!dictionary_loaded) {
    throw ErrorException(Internal("the DICOM data dictionary could not be loaded"));
  }
}

}  // namespace pacsport::dicom
