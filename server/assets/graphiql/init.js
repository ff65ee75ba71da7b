// Starts GraphiQL against this server's /graphql. Served as a file so the page's
// content security policy needs no inline script.
(function () {
  var fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', window.location.href).href });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolbarOpen: true }));
})();
