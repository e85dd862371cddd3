"""medai as an LTI 1.3 Advantage tool's client side: the calls medai makes to the university's LMS.

- `keys`: the tool's RSA key (0600, under the hub's private directory) and the JWKS the platform reads;
- `client`: OAuth 2 client credentials with a signed JWT assertion (IMS Security Framework), then JSON calls
  with the bearer token, following `Link: rel="next"` pages;
- `ags`: Assignment and Grade Services: one line item per assignment (found again by resourceId and tag),
  scores;
- `scores`: what each student's score on the LMS should be, from the progress model (the one stored score,
  late penalty included), and the resubmission policy;
- `ledger`: what was posted (so a second sync posts nothing) and the outbox of posts that failed (retried first
  by the next sync, reported until they go through);
- `sync`: `medai lms sync` composed of the above;
- `nrps`: Names and Role Provisioning Services: the course's members as a roster the CSV import applies.

The launch (a person logging in from the LMS) is the hub's: medai.hub.lti. This package imports medai.course,
medai.progress (scores only come from its model), the settings and the small helpers; nobody but the CLI
imports it.
"""
