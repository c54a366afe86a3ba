#include "sources/contract.h"

#include <fmt/format.h>
#include <rapidjson/document.h>

#include <fstream>
#include <sstream>
#include <valijson/adapters/rapidjson_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

namespace supportpipe::sources {
namespace {

// valijson's context ("<root>", "[ticket]", "[0]") as a JSON pointer ("/ticket/0").
std::string Pointer(const std::vector<std::string>& context) {
  std::string out;
  for (const std::string& c : context) {
    if (c.size() >= 2 && c.front() == '[' && c.back() == ']') {
      std::string token = c.substr(1, c.size() - 2);
      if (token.size() >= 2 && token.front() == '"' && token.back() == '"') {
        token = token.substr(1, token.size() - 2);
      }
      out += "/" + token;
    }
  }
  return out;
}

class ContractDecoder final : public Decoder {
 public:
  ContractDecoder(std::unique_ptr<Decoder> inner, std::shared_ptr<valijson::Schema> schema,
                  std::string file)
      : inner_(std::move(inner)), schema_(std::move(schema)), file_(std::move(file)) {}

  Decoded Decode(const Delivery& d) const override {
    rapidjson::Document doc;
    doc.Parse(d.body.data(), d.body.size());
    if (!doc.HasParseError()) {
      valijson::Validator validator;
      valijson::ValidationResults results;
      valijson::adapters::RapidJsonAdapter adapter(doc);
      if (!validator.validate(*schema_, adapter, &results)) {
        // The first error is the innermost, most specific one.
        valijson::ValidationResults::Error last;
        results.popError(last);
        Decoded out;
        out.items.push_back(
            {0, InvalidArgument(fmt::format("violates {}: {}", file_, last.description),
                                Pointer(last.context))});
        return out;
      }
    }
    return inner_->Decode(d);
  }

 private:
  std::unique_ptr<Decoder> inner_;
  std::shared_ptr<valijson::Schema> schema_;
  std::string file_;
};

}  // namespace

Result<std::unique_ptr<Decoder>> WithContract(std::unique_ptr<Decoder> inner,
                                              const std::string& schema_file) {
  std::ifstream in(schema_file);
  if (!in) return InvalidArgument(fmt::format("schema_file {} cannot be read", schema_file));
  std::stringstream ss;
  ss << in.rdbuf();
  rapidjson::Document doc;
  doc.Parse(ss.str().c_str());
  if (doc.HasParseError()) {
    return InvalidArgument(fmt::format("schema_file {} is not valid JSON", schema_file));
  }
  auto schema = std::make_shared<valijson::Schema>();
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::RapidJsonAdapter adapter(doc);
    parser.populateSchema(adapter, *schema);
  } catch (const std::exception& e) {
    return InvalidArgument(fmt::format("schema_file {}: {}", schema_file, e.what()));
  }
  return std::unique_ptr<Decoder>(
      new ContractDecoder(std::move(inner), std::move(schema), schema_file));
}

}  // namespace supportpipe::sources
