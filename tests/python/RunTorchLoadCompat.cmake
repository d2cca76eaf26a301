# ctest driver: converts every official fixture to a RingScope checkpoint with ringscope-cli and
# checks each with torch_load_compat.py. Variables: CLI, PYTHON, SCRIPT, FIXTURES, WORK.
file(MAKE_DIRECTORY "${WORK}")
foreach(name vit_tiny owf_tiny uit_static_tiny uit_learnable_tiny ringformer_tiny)
    set(out "${WORK}/${name}.ringscope.pt")
    execute_process(COMMAND "${CLI}" convert "${FIXTURES}/${name}.bin" --heads 4 --to ringscope "${out}"
                    RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "convert ${name} failed")
    endif()
    execute_process(COMMAND "${PYTHON}" "${SCRIPT}" "${out}" "${FIXTURES}/${name}.json"
                    RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "${name}: not loadable the way torch.load reads it")
    endif()
endforeach()

# A training container written by the trainer (optimizer + scheduler state, numpy best_acc).
if(EXISTS /usr/share/datasets/fashion-mnist)
    set(out "${WORK}/trained.pt")
    execute_process(COMMAND "${CLI}" train --family ringformer --hidden 32 --heads 2 --mlp 64 --depth 2
                            --rank 4 --channels 3 --data fashion-mnist:train --limit 256 --holdout 64
                            --epochs 2 --batch 64 --no-augment --threads 1 --out "${out}"
                    RESULT_VARIABLE rc OUTPUT_QUIET)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "train failed")
    endif()
    execute_process(COMMAND "${PYTHON}" "${SCRIPT}" --training "${out}" RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "the training container is not loadable the way torch.load reads it")
    endif()
endif()
