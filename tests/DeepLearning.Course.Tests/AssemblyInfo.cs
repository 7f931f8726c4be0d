// torch's random generator is one per process and many tests seed it (torch.manual_seed) and then draw from it
// (a Linear's default init, randn, randperm); run test classes one at a time so seeded numbers are reproducible.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
