// CloudFront Function (cloudfront-js-2.0) on the SPA's default behaviour, viewer request.
//
// A client-side route such as /tasks/42 has no object in the bucket; it gets the SPA shell
// (/index.html) so the browser router can take over. Paths whose last segment has a file
// extension (/assets/app.3f2a.js) pass through, so a missing asset still fails loudly.
// This runs only on the default behaviour: /api/* responses, including real 404s, are never
// rewritten (a distribution-wide custom error response would turn them into 200s).
function handler(event) {
  const request = event.request;
  const lastSegment = request.uri.substring(request.uri.lastIndexOf('/') + 1);
  if (lastSegment.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
