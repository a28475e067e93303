#include "base/mmap_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace qwl {
namespace {

std::string temp_path(const char* name) {
  return std::string(::testing::TempDir()) + "/" + name;
}

TEST(MappedFile, MapsWrittenContents) {
  const std::string path = temp_path("mapped.bin");
  ASSERT_TRUE(write_file_atomic(path, "hello weights").ok());
  auto file = MappedFile::open(path);
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(file->data()), file->size()),
            "hello weights");
  MappedFile moved = std::move(file.value());
  EXPECT_EQ(moved.size(), 13u);
  EXPECT_EQ(read_file(path).value(), "hello weights");
}

TEST(MappedFile, MissingFileIsNotFound) {
  auto file = MappedFile::open(temp_path("does-not-exist.gguf"));
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), StatusCode::kNotFound);
  EXPECT_NE(file.status().message().find("does-not-exist.gguf"), std::string::npos);
}

TEST(MappedFile, DirectoryIsInvalidArgument) {
  auto file = MappedFile::open(::testing::TempDir());
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), StatusCode::kInvalidArgument);
}

TEST(MappedFile, EmptyFile) {
  const std::string path = temp_path("empty.bin");
  ASSERT_TRUE(write_file_atomic(path, "").ok());
  auto file = MappedFile::open(path);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->size(), 0u);
}

}  // namespace
}  // namespace qwl
