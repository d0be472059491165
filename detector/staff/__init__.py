"""The YAML files monitoring staff edit, as validated models: one module per kind of file
(``sectors``, ``routing``, ``territories``, ``narratives``, ``fakes``), each with its one loader
(``read_sectors(path)``, ...), which the detector's own loaders use, so that a misspelt key or a
wrong value stops the detector at load with a :class:`~detector.exceptions.StaffFileError` naming the
file, the entry and the field. :func:`~detector.staff.check.check_files` (``monitor check``) adds
the checks that need several files together and the pymorphy3 normal forms of the phrases.
"""
