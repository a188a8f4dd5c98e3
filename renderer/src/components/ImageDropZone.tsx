import { Backdrop, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import { useClient } from '../api/context';
import { addImageFile } from '../store/image-adding';
import { useWizard } from '../store/wizard';

function carriesFiles(event: DragEvent): boolean {
  return event.dataTransfer?.types.includes('Files') ?? false;
}

/** Dropping a file anywhere on the window adds it to the image library, and shows the Image step with its progress. */
export function ImageDropZone(): React.JSX.Element {
  const client = useClient();
  const goTo = useWizard((state) => state.goTo);
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    // dragenter/dragleave fire for every element crossed: count them to know when the file left the window.
    let depth = 0;
    const enter = (event: DragEvent): void => {
      if (!carriesFiles(event)) return;
      depth += 1;
      setDragging(true);
    };
    const leave = (event: DragEvent): void => {
      if (!carriesFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const over = (event: DragEvent): void => {
      if (carriesFiles(event)) event.preventDefault();
    };
    const drop = (event: DragEvent): void => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      depth = 0;
      setDragging(false);
      const file = event.dataTransfer?.files[0];
      if (!file) return;
      goTo('Image');
      void addImageFile(client, file);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, [client, goTo]);

  return (
    <Backdrop open={dragging} sx={{ zIndex: (theme) => theme.zIndex.modal + 1, pointerEvents: 'none' }}>
      <Typography variant="h5" sx={{ color: 'common.white' }}>
        Drop the image to add it to the library
      </Typography>
    </Backdrop>
  );
}
