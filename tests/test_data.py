"""The backprop.data package: one module per job, re-exported at the top."""

from backprop import data


def test_public_names_are_exported():
    for name in data.__all__:
        assert hasattr(data, name)



def test_each_job_has_its_module_and_bp_datasets_is_toy():
    import backprop as bp

    assert bp.datasets is data.toy
    assert bp.data.DATASETS is data.toy.DATASETS
    assert data.check_Xy is data.checks.check_Xy
    assert data.Standardizer is data.preprocessing.Standardizer
    assert data.BatchIterator is data.batches.BatchIterator
    assert data.RandomShift is data.augmentation.RandomShift
    assert data.load_dataset is data.files.load_dataset
    assert bp.load_dataset is data.load_dataset and bp.one_hot is data.one_hot
