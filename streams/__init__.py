"""The Faust worker of QN-DTI Monitor: agents, state, the database sink and schema, web views."""
