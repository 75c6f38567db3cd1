/**
 * One GraphQL document asking, for every reviewer at once, their permission on the
 * repository and whether they are in each team the policy names. Logins and team names
 * travel as variables, never spliced into the document.
 */

export interface TeamRef {
  /** "org/slug" as the policy writes it. */
  name: string;
  org: string;
  slug: string;
}

export interface ApproversDocument {
  query: string;
  variables: Record<string, string>;
  /** Alias of each login's permission field. */
  permissionAlias: Map<string, string>;
  /** Alias of each (team, login) membership field, keyed `team\nlogin`. */
  memberAlias: Map<string, string>;
  /** Alias of each team's organization field. */
  teamAlias: Map<string, string>;
}

export function teamRef(name: string): TeamRef {
  const [org = '', slug = ''] = name.split('/');
  return { name, org, slug };
}

export function memberKey(team: string, login: string): string {
  return `${team.toLowerCase()}\n${login.toLowerCase()}`;
}

export function approversDocument(
  logins: readonly string[],
  teams: readonly TeamRef[],
): ApproversDocument {
  const params = ['$owner: String!', '$repo: String!'];
  const variables: Record<string, string> = {};
  logins.forEach((login, i) => {
    params.push(`$l${i}: String!`);
    variables[`l${i}`] = login;
  });

  const permissionAlias = new Map<string, string>();
  const permissionFields = logins.map((login, i) => {
    permissionAlias.set(login.toLowerCase(), `p${i}`);
    // `login` selects that one collaborator; edges carry the effective permission.
    return `p${i}: collaborators(login: $l${i}, first: 1) { edges { permission node { login } } }`;
  });

  const teamAlias = new Map<string, string>();
  const memberAlias = new Map<string, string>();
  const teamFields = teams.map((team, t) => {
    teamAlias.set(team.name.toLowerCase(), `t${t}`);
    params.push(`$o${t}: String!`, `$s${t}: String!`);
    variables[`o${t}`] = team.org;
    variables[`s${t}`] = team.slug;
    const fields = logins.map((login, j) => {
      memberAlias.set(memberKey(team.name, login), `m${j}`);
      // membership ALL counts child teams too, as the REST membership endpoint does.
      return `m${j}: members(query: $l${j}, first: 100, membership: ALL) { pageInfo { hasNextPage } nodes { login } }`;
    });
    return `t${t}: organization(login: $o${t}) { team(slug: $s${t}) { ${fields.join(' ')} } }`;
  });

  const repository = `repository(owner: $owner, name: $repo) { ${permissionFields.join(' ')} }`;
  const query = `query(${params.join(', ')}) { ${repository} ${teamFields.join(' ')} }`;
  return { query, variables, permissionAlias, memberAlias, teamAlias };
}
