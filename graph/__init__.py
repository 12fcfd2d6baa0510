"""RDF building, storage, SPARQL, export, networks and the command line of eventkg."""
