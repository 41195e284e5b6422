/* Swagger UI renders every operation (issue #16).
 *
 * From 150 rows (tags + operations) Swagger UI 5 "virtualises" the operation list: only the dozen
 * rows near the viewport exist in the page. The rest cannot be found with the browser's search,
 * are skipped by screen readers and printing, and the list looks as if it stopped after about
 * eleven operations, without an error. This plugin puts back Swagger UI's own non-virtualised
 * rendering (the same components, OperationTag and OperationContainer) for our ~160 operations.
 * It wraps SwaggerUIBundle so that drf-spectacular's initialisation script stays as it is.
 * Loaded with the page's CSP nonce; no inline code, no CDN.
 */
(function () {
  "use strict";
  var Original = window.SwaggerUIBundle;
  if (!Original) { return; }

  function AllOperationsPlugin(system) {
    var React = system.React;
    function Operations(props) {
      var specSelectors = props.specSelectors;
      var getComponent = props.getComponent;
      var tagged = specSelectors.taggedOperations();
      var methods = specSelectors.validOperationMethods();
      if (tagged.size === 0) {
        return React.createElement("h3", null, " No operations defined in spec!");
      }
      var OperationContainer = getComponent("OperationContainer", true);
      var OperationTag = getComponent("OperationTag");
      return React.createElement("div", {className: "operations-all"}, tagged.map(function (tagObj, tag) {
        return React.createElement(OperationTag, {
          key: "operation-" + tag, tagObj: tagObj, tag: tag, oas3Selectors: props.oas3Selectors,
          layoutSelectors: props.layoutSelectors, layoutActions: props.layoutActions,
          getConfigs: props.getConfigs, getComponent: getComponent, specUrl: specSelectors.url()
        }, React.createElement("div", {className: "operation-tag-content"}, tagObj.get("operations").map(function (op) {
          var path = op.get("path"), method = op.get("method");
          if (methods.indexOf(method) === -1) { return null; }
          return React.createElement(OperationContainer, {
            key: path + "-" + method, specPath: op.get("specPath"), op: op, path: path, method: method, tag: tag
          });
        }).toArray()));
      }).valueSeq().toArray());
    }
    return {components: {operations: Operations}};
  }

  function SwaggerUIBundle(config) {
    var plugins = (config && config.plugins) || [];
    return Original(Object.assign({}, config, {plugins: plugins.concat([AllOperationsPlugin])}));
  }
  Object.keys(Original).forEach(function (key) { SwaggerUIBundle[key] = Original[key]; });
  window.SwaggerUIBundle = SwaggerUIBundle;
}());
