// The JSON form of an export job's request: defaults, refusals, and a round trip.
#include "export/export_job_request.h"

#include <gtest/gtest.h>

namespace pacsport {
namespace {

TEST(ExportJobRequestTest, DefaultsAreThoseOfTheGetRoutes) {
  const ExportRequest study =
      ParseJobRequest(R"({"scope":"study","ids":["1.2.3"]})", 6).ValueOrThrow();
  EXPECT_EQ(study.target, "1.2.3");
  EXPECT_EQ(study.options.include_images, IncludeImages::kYes);
  EXPECT_EQ(study.options.compression_level, 6);
  EXPECT_EQ(study.options.previews, IncludePreviews::kYes);
  const ExportRequest all = ParseJobRequest(R"({"scope":"all"})", 6).ValueOrThrow();
  EXPECT_EQ(all.options.include_images, IncludeImages::kNo);
  const ExportRequest json =
      ParseJobRequest(R"({"scope":"patient","ids":[""],"format":"json","includeImages":true})", 6)
          .ValueOrThrow();
  EXPECT_EQ(json.options.include_images, IncludeImages::kNo);
}

TEST(ExportJobRequestTest, DeidentifyIsReadCheckedAndWrittenBack) {
  const ExportRequest request =
      ParseJobRequest(R"({"scope":"study","ids":["1.2.3"],"deidentify":{"profile":"basic",
        "project":"lung-1","options":["retain-uids","clean-descriptors"],
        "includeBurnedIn":true}})",
                      9)
          .ValueOrThrow();
  ASSERT_TRUE(request.options.deidentify.has_value());
  EXPECT_EQ(request.options.deidentify->project, "lung-1");
  EXPECT_TRUE(request.options.deidentify->Has(deid::Option::kRetainUids));
  EXPECT_TRUE(request.options.deidentify->Has(deid::Option::kCleanDescriptors));
  EXPECT_EQ(request.options.deidentify->burned_in, deid::IncludeBurnedIn::kYes);
  const ExportRequest again = ParseJobRequest(JobRequestJson(request), 9).ValueOrThrow();
  EXPECT_EQ(again.options.deidentify->options, request.options.deidentify->options);
  EXPECT_EQ(again.options.deidentify->project, "lung-1");
  for (const auto& [body, named] : std::vector<std::pair<std::string, std::string>>{
           {R"({"scope":"all","deidentify":"basic"})", "deidentify"},
           {R"({"scope":"all","deidentify":{"profile":"basic"}})", "project"},
           {R"({"scope":"all","deidentify":{"profile":"x","project":"p"}})", "profile"},
           {R"({"scope":"all","deidentify":{"profile":"basic","project":"p","options":["no"]}})",
            "no"},
           {R"({"scope":"all","deidentify":{"profile":"basic","project":"p","extra":1}})",
            "extra"}}) {
    auto refused = ParseJobRequest(body, 9);
    ASSERT_FALSE(refused.ok()) << body;
    EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidInput);
    EXPECT_NE(refused.error().message().find(named), std::string::npos)
        << refused.error().message();
  }
}

TEST(ExportJobRequestTest, ABatchKeepsTheOrderAndDropsRepeats) {
  const ExportRequest batch =
      ParseJobRequest(R"({"scope":"studies","ids":["1.3","1.2","1.3"]})", 9).ValueOrThrow();
  EXPECT_EQ(batch.targets, (std::vector<std::string>{"1.3", "1.2"}));
  EXPECT_TRUE(batch.target.empty());
}

TEST(ExportJobRequestTest, RefusesWhatItDoesNotUnderstand) {
  for (const char* body :
       {"", "[]", "{}", R"({"scope":"series"})", R"({"scope":"study"})",
        R"({"scope":"study","ids":["1","2"]})", R"({"scope":"all","ids":["1"]})",
        R"({"scope":"patients","ids":[]})", R"({"scope":"patients","ids":[1]})",
        R"({"scope":"all","compression":10})", R"({"scope":"all","compression":1.5})",
        R"({"scope":"all","previews":1})", R"({"scope":"all","format":"tar"})",
        R"({"scope":"all","format":7})", R"({"scope":"all","extra":true})",
        R"({"scope":"all","previewSize":-1})", R"({"scope":"all","format":"media"})",
        R"({"scope":"study","ids":["1.2"],"format":"media","includeImages":false})"}) {
    EXPECT_EQ(ParseJobRequest(body, 9).error().code(), ErrorCode::kInvalidInput) << body;
  }
}

TEST(ExportJobRequestTest, ADiscHoldsTheImagesAndReadsBackAsMedia) {
  const ExportRequest disc =
      ParseJobRequest(R"({"scope":"patients","ids":["A"],"format":"media"})", 9).ValueOrThrow();
  EXPECT_EQ(disc.options.format, ExportFormat::kMedia);
  EXPECT_EQ(disc.options.include_images, IncludeImages::kYes);
  EXPECT_EQ(ParseJobRequest(JobRequestJson(disc), 9).ValueOrThrow().options.format,
            ExportFormat::kMedia);
}

TEST(ExportJobRequestTest, WhatIsWrittenReadsBackTheSame) {
  ExportRequest request;
  request.scope = ExportScope::kPatients;
  request.targets = {"A", "B/C"};
  request.options.compression_level = 3;
  request.options.previews = IncludePreviews::kNo;
  request.options.preview_max_side = 256;
  const ExportRequest back = ParseJobRequest(JobRequestJson(request), 9).ValueOrThrow();
  EXPECT_EQ(back.scope, request.scope);
  EXPECT_EQ(back.targets, request.targets);
  EXPECT_EQ(back.options.compression_level, 3);
  EXPECT_EQ(back.options.previews, IncludePreviews::kNo);
  EXPECT_EQ(back.options.preview_max_side, 256u);
  EXPECT_EQ(JobRequestJson(back), JobRequestJson(request));
}

}  // namespace
}  // namespace pacsport
