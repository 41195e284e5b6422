"""The mediator's and the organisation's pages (thin views: selectors in, services out)."""
