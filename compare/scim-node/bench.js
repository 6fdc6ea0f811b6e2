// Parse + evaluate of the 20 bench filters with npm scim2-parse-filter (the same filters as compare/benches/compare.rs).
// Run with: npm install scim2-parse-filter@0.2.10 && node bench.js
const { parse, filter } = require('scim2-parse-filter');
const fs = require('fs');
const full = JSON.parse(fs.readFileSync(__dirname + '/../../crates/scim/tests/it/data/rfc7643_full_user.json'));
const small = {"id": "2819c223-7f76-453a-919d-413861904646", "externalId": "701984",
  "userName": "bjensen@example.com", "displayName": "Babs Jensen", "title": "Tour Guide", "userType": "Employee", "active": true,
  "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
  "meta": {"lastModified": "2011-05-13T04:42:34Z"}};
const FILTERS = [
  ['userName eq "bjensen@example.com"', true],
  ['userName Eq "BJensen@Example.com"', true],
  ['emails co "example.com"', true],
  ['emails[type eq "work"].value eq "bjensen@example.com"', true],
  ['externalId eq "701984"', true],
  ['id eq "2819c223-7f76-453a-919d-413861904646"', true],
  ['displayName eq "Babs Jensen"', true],
  ['name.familyName co "O\'Malley"', false],
  ['userName sw "J"', false],
  ['urn:ietf:params:scim:schemas:core:2.0:User:userName sw "b"', true],
  ['title pr', true],
  ['meta.lastModified gt "2011-05-13T04:42:34Z"', false],
  ['meta.lastModified ge "2011-05-13T06:42:34+02:00"', true],
  ['title pr and userType eq "Employee"', true],
  ['title pr or userType eq "Intern"', true],
  ['userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")', true],
  ['userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")', false],
  ['userType eq "Employee" and emails[type eq "work" and value co "@example.com"]', true],
  ['emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]', true],
  ['active eq true and not (userName ew "@example.org")', true],
];
let ok = 0;
for (const [f, want] of FILTERS) {
  let got;
  try { got = filter(parse(f))(full); } catch (e) { got = 'error: ' + e.message; }
  if (got === want) ok++; else console.log('wrong:', f, got);
}
console.log(`correct: ${ok}/20`);
for (const [label, u] of [['small user', small], ['RFC 7643 full user', full]]) {
  for (let round = 0; round < 3; round++) {
    const n = 20000;
    const t0 = process.hrtime.bigint();
    let hits = 0;
    for (let i = 0; i < n; i++) for (const [f] of FILTERS) { try { if (filter(parse(f))(u)) hits++; } catch (e) {} }
    const ns = Number(process.hrtime.bigint() - t0) / (n * 20);
    console.log(`${label} round ${round}: scim2-parse-filter ${ns.toFixed(0)} ns/filter`);
  }
}
