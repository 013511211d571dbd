"""The four ways to build the zips, behind one interface (`base.Approach`)."""
