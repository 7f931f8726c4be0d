// Trains the course's pretrained network and writes data/models/lenet5-mnist-digits-0-4.bin (notebook 13).
// Run from the repository root. TorchSharp 0.107 needs a libstdc++ with GLIBCXX_3.4.32 (Debian 13, Ubuntu 24.04):
//     dotnet run -c Release data/scripts/pretrain-lenet.cs
// (on an older host: source tests/debian13-root.sh && debian13_root_run dotnet run -c Release data/scripts/pretrain-lenet.cs)
// then refresh the manifest: /usr/bin/python3 data/scripts/manifest.py
// The recipe is Transfer.Pretrain (src/DeepLearning.Course/Topics/Transfer.cs): LeNet5(28) with 5 outputs, seed 0,
// Adam lr 0.001, batches of 64, 8 epochs over the 4,881 MNIST training images of digits 0–4, one CPU thread.
#:project ../../src/DeepLearning.Course
#:property PublishAot=false
#:property ManagePackageVersionsCentrally=false
#:property TreatWarningsAsErrors=false

using DeepLearning.Course;
using DeepLearning.Scratch.Data;
using TorchSharp;

torch.set_num_threads(1); // one thread: the sums run in one order, so the weights come out the same each run
string root = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(AppContext.GetData("EntryPointFilePath") as string ?? ".")!, "..", ".."));
string output = Path.Combine(root, "data", Transfer.PretrainedFile);
var started = DateTime.UtcNow;
using var model = Transfer.Pretrain(Transfer.PretrainSeed, Transfer.PretrainEpochs, Path.Combine(root, "data"));
var test = Transfer.SelectDigits(Digits.Load28x28Split(Path.Combine(root, "data")).Test, Transfer.SourceDigits);
Directory.CreateDirectory(Path.GetDirectoryName(output)!);
model.save(output);
Console.WriteLine($"trained in {(DateTime.UtcNow - started).TotalSeconds:F1} s; test accuracy on digits 0–4: {Transfer.Accuracy(model, test):P2} ({test.Count} images)");
Console.WriteLine($"{DataFiles.Sha256(File.ReadAllBytes(output))}  {output} ({new FileInfo(output).Length:N0} bytes)");
