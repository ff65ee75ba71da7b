// Operations a resident app and a staff client send, typed by graphql-codegen's client
// preset and checked with `tsc --strict`. A schema change that breaks them fails CI.
import { graphql } from "./gql";
import type { ResultOf, VariablesOf } from "@graphql-typed-document-node/core";

export const MunicipalityPage = graphql(`
  query MunicipalityPage($slug: String!) {
    municipality(slug: $slug) {
      id
      name
      county
      contacts { id name role organisation }
      promises(first: 20) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges {
          cursor
          node {
            id
            title
            status
            validFrom
            validTo
            summary
            situation
            progress
            signatories { id name title organisation }
            focusAreas {
              id
              title
              progress
              commitments {
                id
                text
                status
                progress
                responsible
                target { quantity unit period totalQuantity }
                followUps(first: 10) { edges { node { id date text achievedQuantity } } }
              }
            }
            sources { url title }
          }
        }
      }
    }
  }
`);

export const PromiseList = graphql(`
  query PromiseList($first: Int!, $after: String) {
    promises(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          title
          municipalities { name slug }
          focusAreas { title commitments { text status } }
        }
      }
    }
  }
`);

export const SubmitTip = graphql(`
  mutation SubmitTip($input: SubmitTipInput!) {
    submitTip(input: $input) {
      tip { reference status routedTo { name role } }
      statusToken
      notice
    }
  }
`);

export const TipStatus = graphql(`
  query TipStatus($reference: String!, $statusToken: String!) {
    tipStatus(reference: $reference, statusToken: $statusToken) { status handledAt }
  }
`);

export const StaffInbox = graphql(`
  query StaffInbox($first: Int!) {
    tips(first: $first) {
      edges { node { reference status kind message municipality routedTo } }
    }
  }
`);

export const ResidentHome = graphql(`
  query ResidentHome($slug: String!) {
    municipality(slug: $slug) {
      id
      name
      officialName
      latestPromise { id title status validFrom validTo }
      contacts { id name role organisation acceptsTips }
    }
  }
`);

export const PoliceAreas = graphql(`
  query PoliceAreas($first: Int, $after: String, $last: Int, $before: String) {
    policeAreas(first: $first, after: $after, last: $last, before: $before) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      nodes {
        id
        name
        municipalities { slug name officialName latestPromise { id title } }
        promises(first: 5) { totalCount nodes { id title } }
      }
    }
  }
`);

export const PromisesByArea = graphql(`
  query PromisesByArea($county: String, $policeArea: ID, $last: Int!, $before: String) {
    promises(filter: { county: $county, policeArea: $policeArea }, last: $last, before: $before) {
      pageInfo { hasPreviousPage startCursor }
      edges { cursor node { id title } }
    }
  }
`);

// The generated types are usable as an app would use them.
export function tipRecipients(data: ResultOf<typeof ResidentHome>): string[] {
  const contacts = data.municipality?.contacts ?? [];
  return contacts.filter((c) => c.acceptsTips).map((c) => c.id);
}

export function heading(data: ResultOf<typeof ResidentHome>): string | null {
  const m = data.municipality;
  return m?.latestPromise ? `${m.latestPromise.title} (${m.officialName})` : null;
}

export function areaNames(data: ResultOf<typeof PoliceAreas>): string[] {
  return data.policeAreas.nodes.flatMap((a) => a.municipalities.map((m) => m.officialName));
}

export const olderPromises: VariablesOf<typeof PromisesByArea> = {
  county: "Västra Götalands län",
  last: 10,
};

export function promiseTitles(data: ResultOf<typeof MunicipalityPage>): string[] {
  const promises = data.municipality?.promises.edges ?? [];
  return promises.map((edge) => edge.node.title);
}

export function commitmentTexts(data: ResultOf<typeof PromiseList>): string[] {
  return data.promises.edges.flatMap((edge) =>
    edge.node.focusAreas.flatMap((area) => area.commitments.map((c) => c.text)),
  );
}

export const tipInput: VariablesOf<typeof SubmitTip> = {
  input: {
    municipality: "mellerud",
    kind: "TIP",
    message: "Det körs för fort vid skolan på kvällarna.",
    wantsReply: false,
  },
};

export function reference(data: ResultOf<typeof SubmitTip>): string {
  return data.submitTip.tip.reference;
}
