// Relay fragments over the schema: pagination with @connection and refetching through
// Node with @refetchable. relay-compiler validates them against schema.graphql.
import { graphql } from "relay-runtime";

export const municipalityPromises = graphql`
  fragment MunicipalityPromises_municipality on Municipality
  @refetchable(queryName: "MunicipalityPromisesPaginationQuery")
  @argumentDefinitions(count: { type: "Int", defaultValue: 10 }, cursor: { type: "String" }) {
    name
    promises(first: $count, after: $cursor) @connection(key: "MunicipalityPromises_promises") {
      edges {
        node {
          id
          ...PromiseCard_promise
        }
      }
    }
  }
`;

export const promiseCard = graphql`
  fragment PromiseCard_promise on Promise @refetchable(queryName: "PromiseCardRefetchQuery") {
    id
    title
    status
    progress
  }
`;

export const promisesPage = graphql`
  query PromisesPageQuery($count: Int!, $cursor: String) {
    ...PromisesPage_query @arguments(count: $count, cursor: $cursor)
  }
`;

export const promisesPageFragment = graphql`
  fragment PromisesPage_query on Query
  @refetchable(queryName: "PromisesPagePaginationQuery")
  @argumentDefinitions(count: { type: "Int!" }, cursor: { type: "String" }) {
    promises(first: $count, after: $cursor) @connection(key: "PromisesPage_promises") {
      edges { node { id title } }
    }
  }
`;
