// graphql-codegen with the client preset, as a resident app's team would set it up.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["src/**/*.ts", "!src/gql/**/*"],
  ignoreNoDocuments: false,
  generates: {
    "./src/gql/": {
      preset: "client",
      config: { strictScalars: true, scalars: { DateTime: "string", Date: "string", JSON: "unknown", Upload: "Blob" }, enumsAsTypes: true },
    },
  },
};

export default config;
