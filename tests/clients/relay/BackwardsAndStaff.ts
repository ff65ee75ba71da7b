// Relay fragments that page backwards with @connection (last/before) and refetch a staff
// tip through Node with @refetchable. relay-compiler validates them against schema.graphql.
import { graphql } from "relay-runtime";

export const policeAreaPromises = graphql`
  fragment PoliceAreaPromises_policeArea on PoliceArea
  @refetchable(queryName: "PoliceAreaPromisesPaginationQuery")
  @argumentDefinitions(count: { type: "Int", defaultValue: 10 }, cursor: { type: "String" }) {
    name
    municipalities { slug officialName }
    promises(last: $count, before: $cursor) @connection(key: "PoliceAreaPromises_promises") {
      edges {
        node {
          id
          title
        }
      }
    }
  }
`;

export const staffTipCard = graphql`
  fragment StaffTipCard_tip on StaffTip @refetchable(queryName: "StaffTipCardRefetchQuery") {
    id
    reference
    status
    kind
    message
    routedTo
  }
`;

export const staffInboxQuery = graphql`
  query StaffInboxPageQuery($count: Int!, $cursor: String) {
    ...StaffInbox_query @arguments(count: $count, cursor: $cursor)
  }
`;

export const staffInbox = graphql`
  fragment StaffInbox_query on Query
  @refetchable(queryName: "StaffInboxPaginationQuery")
  @argumentDefinitions(count: { type: "Int!" }, cursor: { type: "String" }) {
    tips(last: $count, before: $cursor) @connection(key: "StaffInbox_tips") {
      edges {
        node {
          id
          ...StaffTipCard_tip
        }
      }
    }
  }
`;
